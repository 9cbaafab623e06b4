import { sql, type Kysely, type Migration } from 'kysely';

/** Latest position per device and the full history, keyed by the event's stream sequence. */
export const devicePositions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('device_positions')
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('lat', 'double precision', (c) => c.notNull())
      .addColumn('lon', 'double precision', (c) => c.notNull())
      .addColumn('accuracy', 'double precision')
      .addColumn('altitude', 'double precision')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('reported_at', 'timestamptz', (c) => c.notNull())
      .addColumn('received_at', 'timestamptz', (c) => c.notNull())
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('device_positions_pk', ['tenant', 'device_id'])
      .execute();
    await db.schema
      .createTable('position_history')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('lat', 'double precision', (c) => c.notNull())
      .addColumn('lon', 'double precision', (c) => c.notNull())
      .addColumn('accuracy', 'double precision')
      .addColumn('altitude', 'double precision')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('reported_at', 'timestamptz', (c) => c.notNull())
      .addColumn('received_at', 'timestamptz', (c) => c.notNull())
      .execute();
    // Serves "history of one device in a time range, newest first".
    await sql`CREATE INDEX position_history_device_time ON position_history (tenant, device_id, reported_at DESC, seq DESC)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('position_history').execute();
    await db.schema.dropTable('device_positions').execute();
  },
};
