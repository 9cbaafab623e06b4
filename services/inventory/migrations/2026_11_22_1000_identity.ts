import { sql, type Kysely, type Migration } from 'kysely';

/** Tenants, operator API keys (no digests) and invitations (token digest only), projected from IDENTITY. */
export const identity: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`CREATE TABLE tenants (
      tenant text PRIMARY KEY,
      name text NOT NULL,
      created_at timestamptz NOT NULL
    )`.execute(db);
    await sql`CREATE TABLE api_keys (
      key_id text PRIMARY KEY,
      tenant text NOT NULL,
      name text NOT NULL,
      role text NOT NULL,
      revoked boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      revoked_at timestamptz
    )`.execute(db);
    await sql`CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at)`.execute(db);
    await sql`CREATE TABLE invitations (
      tenant text NOT NULL,
      invitation_id text NOT NULL,
      email text NOT NULL,
      token_digest text NOT NULL UNIQUE,
      status text NOT NULL,
      device_id text,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (tenant, invitation_id)
    )`.execute(db);
    await sql`CREATE INDEX invitations_tenant_created ON invitations (tenant, created_at DESC, invitation_id)`.execute(db);
    await sql`CREATE TABLE enrollment_refusals (
      seq bigint PRIMARY KEY,
      tenant text NOT NULL,
      invitation_id text,
      serial text,
      reason text NOT NULL,
      message text NOT NULL,
      remote_address text,
      occurred_at timestamptz NOT NULL
    )`.execute(db);
    await sql`CREATE INDEX enrollment_refusals_tenant ON enrollment_refusals (tenant, occurred_at DESC)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['enrollment_refusals', 'invitations', 'api_keys', 'tenants']) await sql`DROP TABLE ${sql.table(table)}`.execute(db);
  },
};
