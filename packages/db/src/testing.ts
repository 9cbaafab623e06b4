import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CheckpointTables } from './checkpoint.js';
import { createDb } from './create-db.js';
import { dropSchema, ensureDatabase, ensureSchema } from './database.js';
import { migrateToLatest, type Migrations } from './migrate.js';

/** A schema of its own for one test file, migrated, with a pool on it. */
export interface TestSchema<DB> {
  schema: string;
  connectionString: string;
  db: Kysely<DB & CheckpointTables>;
  /** Closes the pool and drops the schema. */
  drop(): Promise<void>;
}

/** Creates a fresh schema in `connectionString`'s database (created if needed) and runs `migrations` in it. */
export async function createTestSchema<DB>(connectionString: string, migrations: Migrations = {}): Promise<TestSchema<DB>> {
  const schema = `t_${randomBytes(5).toString('hex')}`;
  await ensureDatabase(connectionString);
  await ensureSchema(connectionString, schema);
  const db = createDb<DB & CheckpointTables>({ connectionString, schema, poolSize: 5, applicationName: 'flotilla-test' });
  await migrateToLatest(db as Kysely<unknown>, schema, migrations);
  return {
    schema,
    connectionString,
    db,
    async drop() {
      await db.destroy();
      await dropSchema(connectionString, schema);
    },
  };
}
