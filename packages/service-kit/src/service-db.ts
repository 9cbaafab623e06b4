import { createDb, ensureDatabase, ensureSchema, migrateToLatest, type CheckpointTables, type Migrations } from '@flotilla/db';
import type { Kysely } from 'kysely';

/** Creates the database and the service's schema if needed, opens a pool on it and migrates it. */
export async function openServiceDb<DB>(options: { connectionString: string; schema: string; migrations: Migrations; applicationName: string }): Promise<Kysely<DB & CheckpointTables>> {
  await ensureDatabase(options.connectionString);
  await ensureSchema(options.connectionString, options.schema);
  const db = createDb<DB & CheckpointTables>({ connectionString: options.connectionString, schema: options.schema, applicationName: options.applicationName });
  try {
    await migrateToLatest(db as Kysely<unknown>, options.schema, options.migrations);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}
