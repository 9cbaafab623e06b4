import { eventTypeSubjectFilter, type Context, type EventDefinition, type EventOf } from '@flotilla/contracts';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Connection } from './connect.js';
import { publishDeadLetter } from './dead-letter.js';
import { decodeFor } from './decode.js';
import type { BusMetrics } from './metrics.js';
import type { Names } from './names.js';
import type { EventPosition } from './projection.js';

/**
 * Something that reacts to events with effects outside PostgreSQL (a KV record, a follow-up event). It
 * is fed at least once and in stream order per instance, so `handle` must be idempotent.
 */
export interface Reactor {
  /** Durable consumer name: `<service>-<purpose>`. */
  readonly name: string;
  readonly context: Context;
  readonly events: readonly EventDefinition[];
  readonly filter: string;
  handle(event: EventOf<EventDefinition>, position: EventPosition): Promise<unknown>;
}

/** Declares a {@link Reactor} over events of one context. */
export function reactor<const E extends readonly [EventDefinition, ...EventDefinition[]]>(definition: {
  name: string;
  events: E;
  handle: (event: EventOf<E[number]>, position: EventPosition) => Promise<unknown>;
}): Reactor {
  const context = definition.events[0].context;
  const foreign = definition.events.find((event) => event.context !== context);
  if (foreign) throw new Error(`reactor ${definition.name}: ${foreign.type} is in context ${foreign.context}, not ${context}`);
  const filter = definition.events.length === 1 ? eventTypeSubjectFilter(context, definition.events[0].type) : `${context}.>`;
  return Object.freeze({ name: definition.name, context, events: definition.events, filter, handle: definition.handle as Reactor['handle'] });
}

/** A running reactor. */
export interface ReactorHandle {
  readonly name: string;
  /** Resolves when every stored event of its filter has been handled (by any instance). */
  caughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** What a runner of a durable consumer needs from the bus. */
export interface RunnerDeps {
  connection: Connection;
  names: Names;
  logger: Logger;
  metrics: BusMetrics;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a reactor on a durable JetStream consumer shared by every instance (its position lives in
 * NATS). A message is acknowledged after `handle` succeeds; one that cannot be decoded is dead-lettered;
 * a failing `handle` is retried with backoff, holding back the messages after it.
 */
export function runReactor(deps: RunnerDeps, definition: Reactor, options: { minBackoffMs?: number; maxBackoffMs?: number } = {}): ReactorHandle {
  const { connection, names, metrics } = deps;
  const logger = deps.logger.child({ reactor: definition.name });
  const stream = names.stream(definition.context);
  const durable = names.consumer(definition.name);
  const minBackoff = options.minBackoffMs ?? 200;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  let stopping = false;
  let stopCurrent: (() => void) | undefined;

  async function ensureConsumer(): Promise<void> {
    const existing = await connection.jsm.consumers.info(stream, durable).catch(() => undefined);
    if (existing) return;
    await connection.jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: names.subject(definition.filter),
      ack_wait: 30_000_000_000,
      max_ack_pending: 256,
      max_deliver: -1,
    });
  }

  async function consumeOnce(): Promise<void> {
    await ensureConsumer();
    const consumer = await connection.js.consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: 64 });
    stopCurrent = () => messages.stop();
    let backoff = 0;
    for await (const message of messages) {
      if (stopping) {
        message.nak();
        continue;
      }
      const subject = names.logicalSubject(message.subject);
      const decoded = decodeFor(definition.events, message.data);
      if (decoded.kind === 'ignored') {
        message.ack();
        continue;
      }
      if (decoded.kind === 'invalid') {
        metrics.deadLetters.inc({ source: definition.name });
        logger.warn({ seq: message.seq, subject, reason: decoded.reason }, 'dead-lettering message');
        await publishDeadLetter(connection.js, names, { stream, consumer: durable, seq: message.seq, subject }, message.data, decoded.reason);
        message.term();
        continue;
      }
      try {
        await definition.handle(decoded.event, { seq: message.seq, subject });
        message.ack();
        metrics.projected.inc({ projection: definition.name, outcome: 'applied' });
        backoff = 0;
      } catch (error) {
        backoff = Math.min(backoff ? backoff * 2 : minBackoff, maxBackoff);
        metrics.projectionErrors.inc({ projection: definition.name });
        logger.error({ err: error, seq: message.seq, backoffMs: backoff }, 'reaction failed; retrying after backoff');
        // Restart the consumer so nothing after the failed message is handled before it.
        message.nak(backoff);
        messages.stop();
        await sleep(backoff);
      }
    }
  }

  const done = (async () => {
    let backoff = 0;
    while (!stopping) {
      try {
        await consumeOnce();
      } catch (error) {
        if (stopping) break;
        backoff = Math.min(backoff ? backoff * 2 : minBackoff, maxBackoff);
        logger.error({ err: error, backoffMs: backoff }, 'reactor failed; restarting after backoff');
        await sleep(backoff);
      }
    }
  })();

  return {
    name: definition.name,
    async caughtUp(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const info = await connection.jsm.consumers.info(stream, durable).catch(() => undefined);
        if (info && info.num_pending === 0 && info.num_ack_pending === 0) return;
        if (Date.now() > deadline) throw new Error(`${definition.name} did not catch up within ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    async stop() {
      stopping = true;
      stopCurrent?.();
      await done;
    },
  };
}
