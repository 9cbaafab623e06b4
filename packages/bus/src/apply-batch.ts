import { advanceCheckpoint, lockCheckpoint, type CheckpointTables } from '@flotilla/db';
import { sql, type Kysely } from 'kysely';
import { decodeFor } from './decode.js';
import type { ProjectedEvent, Projection } from './projection.js';

/** A stored message as the projection sees it. */
export interface StoredMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
}

/** What happened to each message of a committed batch. */
export interface BatchOutcome {
  applied: number[];
  skipped: number[];
  deadLettered: number[];
}

/** Thrown inside the batch transaction when the checkpoint was reset (replay) since the runner started. */
export class RewindRequired extends Error {
  override readonly name = 'RewindRequired';
  readonly code = 'ILLEGAL_STATE';
}

/** Context of one batch: the generation the runner works in and how to keep a dead letter. */
export interface BatchContext {
  stream: string;
  generation: number;
  /** Backend pid of the session holding the projection's leader lock; checked inside the transaction. */
  leaderPid?: number;
  lockKey?: number;
  deadLetter(message: StoredMessage, reason: string): Promise<unknown>;
}

/**
 * Applies messages in one transaction together with the checkpoint: messages at or below the checkpoint
 * are skipped (redeliveries), undecodable ones are dead-lettered, the rest applied in stream order.
 * Nothing is acknowledged here; the caller acks after this resolves (after COMMIT).
 */
export async function applyBatch<DB>(db: Kysely<DB & CheckpointTables>, projection: Projection<DB>, messages: readonly StoredMessage[], context: BatchContext): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { applied: [], skipped: [], deadLettered: [] };
  await db.transaction().execute(async (trx) => {
    const checkpoint = await lockCheckpoint(trx, projection.name, context.stream);
    if (checkpoint.generation !== context.generation) throw new RewindRequired(`${projection.name} was reset (generation ${checkpoint.generation})`);
    if (context.leaderPid !== undefined && context.lockKey !== undefined) {
      const held = await sql<{ held: boolean }>`SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = ${context.leaderPid} AND objid = ${context.lockKey} AND granted) AS held`.execute(trx);
      if (!held.rows[0]?.held) throw new RewindRequired(`${projection.name} lost its leader lock`);
    }
    let last = checkpoint.lastSeq;
    const batch: ProjectedEvent[] = [];
    for (const message of messages) {
      if (message.seq <= last) {
        outcome.skipped.push(message.seq);
        continue;
      }
      const decoded = decodeFor(projection.events, message.data);
      if (decoded.kind === 'invalid') {
        await context.deadLetter(message, decoded.reason);
        outcome.deadLettered.push(message.seq);
      } else if (decoded.kind === 'ignored') {
        outcome.skipped.push(message.seq);
      } else if (projection.applyMany) {
        batch.push({ event: decoded.event, position: { seq: message.seq, subject: message.subject } });
        outcome.applied.push(message.seq);
      } else {
        await projection.apply(trx, decoded.event, { seq: message.seq, subject: message.subject });
        outcome.applied.push(message.seq);
      }
      last = message.seq;
    }
    if (batch.length > 0) await projection.applyMany!(trx, batch);
    if (last > checkpoint.lastSeq) await advanceCheckpoint(trx, projection.name, last);
  });
  return outcome;
}
