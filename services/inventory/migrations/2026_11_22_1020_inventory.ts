import { sql, type Kysely, type Migration } from 'kysely';

const TABLES = ['inventory_changes', 'device_components', 'device_software', 'device_batteries', 'device_networks', 'device_attributes', 'device_inventories'];

/**
 * The inventory read model (flyve-mdm.md §B.5), projected from `DeviceInventoryReported`:
 * - `device_inventories`: the latest document of each device, raw and normalized;
 * - `device_attributes`: single-valued facts as (source, scope, key) → value, the model that ThingsBoard
 *   client attributes and Watson `deviceInfo` will share (so its `source` is part of the key);
 * - `device_networks`, `device_batteries`, `device_software`, `device_components`: the list sections,
 *   rewritten whenever a new inventory changes them;
 * - `inventory_changes`: what changed from one inventory of a device to the next.
 */
export const inventory: Migration = {
  async up(db: Kysely<unknown>) {
    // document, parse_error, received_at and last_seq describe the latest document received; normalized,
    // inventory_device_id, agent_version and parsed_at the latest one that parsed (a broken one changes nothing).
    await sql`CREATE TABLE device_inventories (
      tenant text NOT NULL,
      device_id text NOT NULL,
      document text NOT NULL,
      parse_error text,
      received_at timestamptz NOT NULL,
      last_seq bigint NOT NULL,
      normalized jsonb,
      inventory_device_id text,
      agent_version text,
      parsed_at timestamptz,
      PRIMARY KEY (tenant, device_id)
    )`.execute(db);
    await sql`CREATE TABLE device_attributes (
      tenant text NOT NULL,
      device_id text NOT NULL,
      source text NOT NULL,
      scope text NOT NULL,
      key text NOT NULL,
      value text NOT NULL,
      updated_at timestamptz NOT NULL,
      updated_seq bigint NOT NULL,
      PRIMARY KEY (tenant, device_id, source, scope, key)
    )`.execute(db);
    await sql`CREATE TABLE device_networks (
      tenant text NOT NULL,
      device_id text NOT NULL,
      position integer NOT NULL,
      description text,
      mac_address text,
      ip_address text,
      type text,
      fields jsonb NOT NULL,
      PRIMARY KEY (tenant, device_id, position)
    )`.execute(db);
    await sql`CREATE INDEX device_networks_tenant_ip ON device_networks (tenant, ip_address)`.execute(db);
    await sql`CREATE INDEX device_networks_tenant_mac ON device_networks (tenant, mac_address)`.execute(db);
    await sql`CREATE TABLE device_batteries (
      tenant text NOT NULL,
      device_id text NOT NULL,
      position integer NOT NULL,
      name text,
      level_percent integer,
      fields jsonb NOT NULL,
      PRIMARY KEY (tenant, device_id, position)
    )`.execute(db);
    await sql`CREATE TABLE device_software (
      tenant text NOT NULL,
      device_id text NOT NULL,
      position integer NOT NULL,
      name text NOT NULL,
      version text,
      package_name text,
      publisher text,
      install_date date,
      fields jsonb NOT NULL,
      PRIMARY KEY (tenant, device_id, position)
    )`.execute(db);
    await sql`CREATE INDEX device_software_device_name ON device_software (tenant, device_id, name, position)`.execute(db);
    // Which devices have this app installed.
    await sql`CREATE INDEX device_software_tenant_package ON device_software (tenant, package_name, version)`.execute(db);
    await sql`CREATE TABLE device_components (
      tenant text NOT NULL,
      device_id text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('cpu', 'memory', 'drive', 'simcard', 'sensor')),
      position integer NOT NULL,
      fields jsonb NOT NULL,
      PRIMARY KEY (tenant, device_id, kind, position)
    )`.execute(db);
    await sql`CREATE TABLE inventory_changes (
      seq bigint NOT NULL,
      ordinal integer NOT NULL,
      tenant text NOT NULL,
      device_id text NOT NULL,
      section text NOT NULL,
      key text NOT NULL,
      change text NOT NULL CHECK (change IN ('added', 'removed', 'changed')),
      before jsonb,
      after jsonb,
      occurred_at timestamptz NOT NULL,
      PRIMARY KEY (seq, ordinal)
    )`.execute(db);
    await sql`CREATE INDEX inventory_changes_device ON inventory_changes (tenant, device_id, seq DESC, ordinal)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    for (const table of TABLES) await sql`DROP TABLE ${sql.table(table)}`.execute(db);
  },
};
