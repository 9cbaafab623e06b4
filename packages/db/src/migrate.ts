import { Migrator, type Kysely, type Migration } from 'kysely';
import { checkpointMigration } from './checkpoint.js';

/** A service's migrations, keyed by name; names sort in the order they run (`2026_11_21_1200_positions`). */
export type Migrations = Record<string, Migration>;

/**
 * Runs the checkpoint migration and then `migrations` in `schema`, recording them in that schema's
 * own kysely migration tables, so services sharing a database never see each other's history.
 */
export async function migrateToLatest(db: Kysely<unknown>, schema: string, migrations: Migrations): Promise<string[]> {
  const all: Migrations = { '0000_projection_checkpoint': checkpointMigration, ...migrations };
  const migrator = new Migrator({
    db,
    migrationTableSchema: schema,
    provider: { getMigrations: async () => all },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw new Error(`migrations of schema ${schema} failed: ${(error as Error).message}`, { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
