import { sql, type ColumnType, type Generated, type Kysely, type Migration, type Transaction } from 'kysely';

/** Row of `projection_checkpoint`: how far one projection has applied its stream. */
export interface ProjectionCheckpointTable {
  projection: string;
  stream: string;
  last_seq: number;
  /** Bumped by a reset; a running projection that sees a new generation rewinds to the checkpoint. */
  generation: Generated<number>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** Tables every service schema has. */
export interface CheckpointTables {
  projection_checkpoint: ProjectionCheckpointTable;
}

/** A projection's position: the last applied stream sequence and the reset generation. */
export interface Checkpoint {
  lastSeq: number;
  generation: number;
}

/** Migration creating `projection_checkpoint`; {@link migrateToLatest} runs it first in every schema. */
export const checkpointMigration: Migration = {
  async up(db) {
    await db.schema
      .createTable('projection_checkpoint')
      .ifNotExists()
      .addColumn('projection', 'text', (c) => c.primaryKey())
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('projection_checkpoint').execute();
  },
};

/** Any kysely (or transaction) over a schema that has the checkpoint table. */
type WithCheckpoints<DB> = Kysely<DB> | Transaction<DB>;
const checkpoints = <DB>(db: WithCheckpoints<DB>) => db as unknown as Kysely<CheckpointTables>;

/** Creates the checkpoint row if missing and returns it locked `FOR UPDATE` for this transaction. */
export async function lockCheckpoint<DB>(transaction: Transaction<DB>, projection: string, stream: string): Promise<Checkpoint> {
  const trx = checkpoints(transaction);
  await trx.insertInto('projection_checkpoint').values({ projection, stream, last_seq: 0, generation: 0 }).onConflict((oc) => oc.column('projection').doNothing()).execute();
  const row = await trx.selectFrom('projection_checkpoint').select(['last_seq', 'generation']).where('projection', '=', projection).forUpdate().executeTakeFirstOrThrow();
  return { lastSeq: row.last_seq, generation: row.generation };
}

/** Reads a checkpoint without locking; `{ lastSeq: 0, generation: 0 }` when the projection never ran. */
export async function readCheckpoint<DB>(db: WithCheckpoints<DB>, projection: string): Promise<Checkpoint> {
  const row = await checkpoints(db).selectFrom('projection_checkpoint').select(['last_seq', 'generation']).where('projection', '=', projection).executeTakeFirst();
  return row ? { lastSeq: row.last_seq, generation: row.generation } : { lastSeq: 0, generation: 0 };
}

/** Advances the checkpoint inside the transaction that applied the events. */
export async function advanceCheckpoint<DB>(trx: Transaction<DB>, projection: string, lastSeq: number): Promise<void> {
  await checkpoints(trx).updateTable('projection_checkpoint').set({ last_seq: lastSeq, updated_at: sql<Date>`now()` }).where('projection', '=', projection).execute();
}

/** Rewinds a projection to sequence 0 and bumps its generation; call it in the transaction that truncates the read model. */
export async function resetCheckpoint<DB>(trx: Transaction<DB>, projection: string, stream: string): Promise<Checkpoint> {
  const current = await lockCheckpoint(trx, projection, stream);
  const next = { lastSeq: 0, generation: current.generation + 1 };
  await checkpoints(trx).updateTable('projection_checkpoint').set({ last_seq: 0, generation: next.generation, updated_at: sql<Date>`now()` }).where('projection', '=', projection).execute();
  return next;
}
