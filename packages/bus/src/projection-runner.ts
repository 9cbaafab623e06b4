import { createHash } from 'node:crypto';
import { readCheckpoint, type CheckpointTables } from '@flotilla/db';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { sql, type Kysely } from 'kysely';
import { applyBatch, RewindRequired, type StoredMessage } from './apply-batch.js';
import { generationTag, rewindDurable } from './consumer-setup.js';
import { publishDeadLetter } from './dead-letter.js';
import type { Projection } from './projection.js';
import type { RunnerDeps } from './reactor.js';

/** Tuning of a running projection. */
export interface ProjectionRunOptions {
  /** Most messages applied in one transaction. */
  batchSize: number;
  ackWaitMs: number;
  /** First and largest pause after a transient failure; doubles in between. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** How often an idle runner checks for a reset and a standby runner for the leader lock. */
  pollMs: number;
  /** Called after COMMIT and before the acks; tests use it to crash in that window. */
  afterCommit?: (seqs: number[]) => void | Promise<void>;
}

/** Defaults merged under {@link ProjectionRunOptions}. */
export function defaultProjectionRunOptions(): ProjectionRunOptions {
  return { batchSize: 500, ackWaitMs: 30_000, minBackoffMs: 200, maxBackoffMs: 30_000, pollMs: 1_000 };
}

/** A running projection. */
export interface ProjectionHandle {
  readonly name: string;
  /** True while this instance holds the leader lock and consumes. */
  isLeader(): boolean;
  /** Resolves when the projection's consumer (led by any instance) has nothing pending and everything delivered is committed. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Finishes the batch in hand (commit + ack), then stops. */
  stop(): Promise<void>;
}

type Deps = RunnerDeps & { controlSubject: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lockKeyOf(schema: string, name: string): number {
  return createHash('sha256').update(`${schema}:${name}`).digest().readUInt32BE(0) & 0x7fffffff;
}

/**
 * Runs `projection` against `db`: one instance per projection leads (PostgreSQL advisory lock), the
 * others wait. The leader rewinds the durable consumer to the checkpoint, then applies batches.
 */
export function runProjection<DB>(deps: Deps, db: Kysely<DB & CheckpointTables>, projection: Projection<DB>, options: ProjectionRunOptions): ProjectionHandle {
  const { connection, names, metrics } = deps;
  const logger = deps.logger.child({ projection: projection.name });
  const stream = names.stream(projection.context);
  const durable = names.consumer(projection.name);
  let stopping = false;
  let leader = false;
  let current: ConsumerMessages | undefined;
  let wake: (() => void) | undefined;
  let backoff = 0;

  const control = connection.nc.subscribe(deps.controlSubject, { callback: () => wake?.() });

  async function consumeGeneration(generation: number, leaderPid: number, lockKey: number): Promise<void> {
    const consumer = await connection.js.consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: options.batchSize * 2 });
    current = messages;
    const queue: JsMsg[] = [];
    let ended = false;
    const pump = (async () => {
      try {
        for await (const message of messages) {
          queue.push(message);
          wake?.();
        }
      } finally {
        ended = true;
        wake?.();
      }
    })();
    try {
      while (!stopping && !ended) {
        if (queue.length === 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, options.pollMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
          if (queue.length === 0) {
            // Idle (or told by the control subject): has someone reset the checkpoint?
            const checkpoint = await readCheckpoint(db, projection.name);
            if (checkpoint.generation !== generation) return;
            continue;
          }
        }
        const batch = queue.splice(0, options.batchSize);
        const stored: StoredMessage[] = batch.map((m) => ({ seq: m.seq, subject: names.logicalSubject(m.subject), data: m.data }));
        const started = process.hrtime.bigint();
        try {
          const outcome = await applyBatch(db, projection, stored, {
            stream,
            generation,
            leaderPid,
            lockKey,
            deadLetter: (message, reason) => {
              metrics.deadLetters.inc({ source: projection.name });
              logger.warn({ seq: message.seq, subject: message.subject, reason }, 'dead-lettering message');
              return publishDeadLetter(connection.js, names, { stream, consumer: durable, seq: message.seq, subject: message.subject }, message.data, reason);
            },
          });
          metrics.batchSeconds.observe({ projection: projection.name }, Number(process.hrtime.bigint() - started) / 1e9);
          await options.afterCommit?.(stored.map((m) => m.seq));
          const dead = new Set(outcome.deadLettered);
          for (const message of batch) {
            // Plain +TERM: nats-server 2.9 does not understand a reason after it; the reason is in the dead letter.
            if (dead.has(message.seq)) message.term();
            else message.ack();
          }
          metrics.projected.inc({ projection: projection.name, outcome: 'applied' }, outcome.applied.length);
          metrics.projected.inc({ projection: projection.name, outcome: 'skipped' }, outcome.skipped.length);
          metrics.projected.inc({ projection: projection.name, outcome: 'dead-lettered' }, outcome.deadLettered.length);
          backoff = 0;
        } catch (error) {
          if (error instanceof RewindRequired) {
            logger.info({ reason: error.message }, 'rewinding projection');
            return;
          }
          // Transient (e.g. PostgreSQL unavailable): release the batch with a delay and rewind to the
          // checkpoint, so later messages can never be applied before the failed ones.
          backoff = Math.min(backoff ? backoff * 2 : options.minBackoffMs, options.maxBackoffMs);
          metrics.projectionErrors.inc({ projection: projection.name });
          logger.error({ err: error, backoffMs: backoff }, 'projection batch failed; retrying after backoff');
          for (const message of [...batch, ...queue]) message.nak(backoff);
          queue.length = 0;
          await sleep(backoff);
          return;
        }
      }
    } finally {
      current = undefined;
      messages.stop();
      await pump.catch(() => undefined);
    }
  }

  async function lead(): Promise<void> {
    await db.connection().execute(async (session) => {
      const { rows } = await sql<{ schema: string; pid: number }>`SELECT current_schema() AS schema, pg_backend_pid() AS pid`.execute(session);
      const { schema, pid } = rows[0]!;
      const lockKey = lockKeyOf(schema, projection.name);
      while (!stopping) {
        const got = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${lockKey}::bigint) AS locked`.execute(session);
        if (got.rows[0]?.locked) break;
        await sleep(options.pollMs);
      }
      if (stopping) return;
      leader = true;
      try {
        while (!stopping) {
          const checkpoint = await readCheckpoint(db, projection.name);
          await rewindDurable(connection.jsm, { stream, durable, filterSubject: names.subject(projection.filter), ackWaitMs: options.ackWaitMs, maxAckPending: options.batchSize * 4, generation: checkpoint.generation }, checkpoint.lastSeq);
          logger.debug({ fromSeq: checkpoint.lastSeq + 1, generation: checkpoint.generation }, 'consuming');
          await consumeGeneration(checkpoint.generation, pid, lockKey);
        }
      } finally {
        leader = false;
        await sql`SELECT pg_advisory_unlock(${lockKey}::bigint)`.execute(session).catch(() => undefined);
      }
    });
  }

  const done = (async () => {
    while (!stopping) {
      try {
        await lead();
      } catch (error) {
        if (stopping) break;
        backoff = Math.min(backoff ? backoff * 2 : options.minBackoffMs, options.maxBackoffMs);
        logger.error({ err: error, backoffMs: backoff }, 'projection runner failed; restarting after backoff');
        await sleep(backoff);
      }
    }
  })();

  // A filtered consumer's delivered position moves past later messages of other types, so "delivered
  // beyond the checkpoint" means: a message of this projection's filter lies in between.
  const matchingBetween = async (from: number, to: number): Promise<boolean> => {
    const next = await connection.jsm.direct.getMessage(stream, { next_by_subj: names.subject(projection.filter), seq: from }).catch(() => null);
    return next !== null && next.seq <= to;
  };

  return {
    name: projection.name,
    isLeader: () => leader,
    async caughtUp(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // Whoever leads (this instance or another process): the consumer of the current generation has
        // nothing left to deliver, nothing unacknowledged, and delivered nothing beyond the checkpoint
        // (a consumer left from before a checkpoint moved back, e.g. a restored database, does not count).
        const checkpoint = await readCheckpoint(db, projection.name);
        const info = await connection.jsm.consumers.info(stream, durable).catch(() => undefined);
        // A consumer being recreated can answer without its config: that is "not yet", like no answer.
        if (
          info?.config &&
          info.config.description === generationTag(checkpoint.generation) &&
          info.num_pending === 0 &&
          info.num_ack_pending === 0 &&
          (info.delivered.stream_seq <= checkpoint.lastSeq || !(await matchingBetween(checkpoint.lastSeq + 1, info.delivered.stream_seq)))
        ) {
          return;
        }
        if (Date.now() > deadline) throw new Error(`${projection.name} did not catch up within ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    async stop() {
      stopping = true;
      wake?.();
      current?.stop();
      control.unsubscribe();
      await done;
    },
  };
}
