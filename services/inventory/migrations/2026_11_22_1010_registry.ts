import { sql, type Kysely, type Migration } from 'kysely';

/** The device registry: one row per device of a tenant, from enrollment and gateway events. */
export const registry: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`CREATE TABLE devices (
      tenant text NOT NULL,
      device_id text NOT NULL,
      dialect text,
      serial text,
      name text,
      type text,
      agent_version text,
      email text,
      fleet text,
      topic text,
      invitation_id text,
      enrollment_status text NOT NULL,
      enrolled_at timestamptz,
      unenroll_requested_at timestamptz,
      unenrolled_at timestamptz,
      online boolean NOT NULL DEFAULT false,
      presence_at timestamptz,
      presence_seq bigint,
      last_seen_at timestamptz,
      last_seq bigint NOT NULL,
      PRIMARY KEY (tenant, device_id)
    )`.execute(db);
    await sql`CREATE INDEX devices_tenant_serial ON devices (tenant, serial, device_id)`.execute(db);
    await sql`CREATE INDEX devices_tenant_last_seen ON devices (tenant, (coalesce(last_seen_at, 'epoch'::timestamptz)), device_id)`.execute(db);
    await sql`CREATE INDEX devices_tenant_enrolled ON devices (tenant, (coalesce(enrolled_at, 'epoch'::timestamptz)), device_id)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE devices`.execute(db);
  },
};
