import { type Context, type EventDefinition } from '@flotilla/contracts';
import type { CheckpointTables } from '@flotilla/db';
import type { KV } from '@nats-io/kv';
import type { Kysely } from 'kysely';
import { connectNats, type Connection } from './connect.js';
import { publishDeadLetter, type DeadLetterSource } from './dead-letter.js';
import { busMetrics } from './metrics.js';
import { namesFor, type Names } from './names.js';
import type { BusOptions } from './options.js';
import type { Projection } from './projection.js';
import { defaultProjectionRunOptions, runProjection, type ProjectionHandle, type ProjectionRunOptions } from './projection-runner.js';
import { publishEvent, type PublishInput, type PublishOptions, type Published } from './publish.js';
import { lastEvent, type LastEvent } from './last-event.js';
import { runReactor, type Reactor, type ReactorHandle } from './reactor.js';
import { resetProjection } from './reset.js';
import { ensureBuckets, ensureStreams, platformStreams, type BucketDeclaration, type StreamDeclaration } from './topology.js';

/** The event backbone as services use it. */
export interface Bus {
  readonly connection: Connection;
  readonly names: Names;
  /** Creates or updates the streams of the given contexts (all by default) and the dead-letter stream. */
  ensureStreams(contexts?: readonly Context[], extra?: readonly StreamDeclaration[]): Promise<void>;
  /** Opens KV buckets of this namespace, creating them or updating their settings as declared. */
  ensureBuckets(declarations: readonly BucketDeclaration[]): Promise<Map<string, KV>>;
  publish<E extends EventDefinition>(definition: E, input: PublishInput<E>, options?: PublishOptions): Promise<Published<E>>;
  /** The newest `definition` event of one aggregate and its stream sequence (for conditional appends). */
  last<E extends EventDefinition>(definition: E, tenant: string, aggregateId: string): Promise<LastEvent<E> | undefined>;
  /** Keeps raw bytes that could not become an event (e.g. a device payload) with the reason. */
  deadLetter(source: DeadLetterSource, raw: Uint8Array, reason: string): Promise<number>;
  /** Starts feeding `projection` from its stream; see {@link runProjection}. */
  consume<DB>(db: Kysely<DB & CheckpointTables>, projection: Projection<DB>, options?: Partial<ProjectionRunOptions>): ProjectionHandle;
  /** Starts a reactor (effects outside PostgreSQL, at least once, in order); see {@link runReactor}. */
  react(definition: Reactor): ReactorHandle;
  /** Truncates the read model and rewinds it to sequence 1; running consumers of it rebuild it. */
  replay<DB>(db: Kysely<DB & CheckpointTables>, projection: Projection<DB>): Promise<void>;
  /** Stops every projection (finishing the batch in hand), then drains the connection. */
  drain(): Promise<void>;
}

/** Connects to NATS and returns a {@link Bus}; see {@link BusOptions}. */
export async function connectBus(options: Partial<BusOptions> & Pick<BusOptions, 'servers'>): Promise<Bus> {
  const connection = await connectNats(options);
  const { js, jsm, nc } = connection;
  const { logger, replicas, now } = connection.options;
  const names = namesFor(connection.options.namespace);
  const metrics = busMetrics(connection.options.metrics);
  const handles = new Set<{ stop(): Promise<void> }>();
  const controlSubject = (name: string) => names.subject(`flotilla.control.projection.${name}.reset`);

  return {
    connection,
    names,
    ensureStreams: (contexts, extra = []) => ensureStreams(jsm, [...platformStreams(names, replicas, contexts), ...extra]),
    ensureBuckets: (declarations) => ensureBuckets(connection, names, declarations),
    publish: (definition, input, publishOptions) => publishEvent(js, names, now, definition, input, publishOptions),
    last: (definition, tenant, aggregateId) => lastEvent(jsm, names, definition, tenant, aggregateId),
    deadLetter: (source, raw, reason) => {
      metrics.deadLetters.inc({ source: source.consumer });
      return publishDeadLetter(js, names, source, raw, reason);
    },
    consume(db, projection, runOptions = {}) {
      const handle = runProjection(
        { connection, names, logger, metrics, controlSubject: controlSubject(projection.name) },
        db,
        projection,
        { ...defaultProjectionRunOptions(), ...runOptions },
      );
      handles.add(handle);
      const stop = handle.stop;
      return {
        ...handle,
        stop: async () => {
          handles.delete(handle);
          await stop();
        },
      };
    },
    react(definition) {
      const handle = runReactor({ connection, names, logger, metrics }, definition);
      handles.add(handle);
      return {
        ...handle,
        stop: async () => {
          handles.delete(handle);
          await handle.stop();
        },
      };
    },
    async replay(db, projection) {
      await resetProjection(db, projection, names.stream(projection.context));
      nc.publish(controlSubject(projection.name));
      await nc.flush();
    },
    async drain() {
      await Promise.all([...handles].map((handle) => handle.stop()));
      handles.clear();
      if (!nc.isClosed()) await nc.drain();
    },
  };
}
