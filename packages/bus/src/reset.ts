import { resetCheckpoint, type CheckpointTables } from '@flotilla/db';
import { sql, type Kysely } from 'kysely';
import type { Projection } from './projection.js';

/**
 * Truncates the projection's read-model tables and rewinds its checkpoint to 0 in one transaction.
 * The running leader (in any process) notices the new generation and rebuilds from sequence 1.
 */
export async function resetProjection<DB>(db: Kysely<DB & CheckpointTables>, projection: Projection<DB>, stream: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const checkpoint = await resetCheckpoint(trx, projection.name, stream);
    if (projection.tables.length > 0) await sql`TRUNCATE ${sql.join(projection.tables.map((table) => sql.table(table)))}`.execute(trx);
    return checkpoint.generation;
  });
}
