import { CONTEXT_NAMES, type Context } from '@flotilla/contracts';
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import type { Connection } from './connect.js';
import type { Names } from './names.js';

/** Longest a command waits for its device, whatever its own expiry says. */
export const COMMAND_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/** JetStream de-duplication window: a message id republished within it is stored once. */
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/** Declaration of one stream, created or updated at start. */
export type StreamDeclaration = Pick<StreamConfig, 'name' | 'subjects'> & Partial<StreamConfig>;

/** The streams of every bounded context plus the dead-letter stream, for one namespace. */
export function platformStreams(names: Names, replicas: number, contexts: readonly Context[] = CONTEXT_NAMES): StreamDeclaration[] {
  const common = {
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: replicas,
    duplicate_window: DUPLICATE_WINDOW_MS * 1_000_000, // nanoseconds
    allow_direct: true,
  };
  return [
    ...contexts.map((context) => ({
      ...common,
      name: names.stream(context),
      subjects: [names.subject(`${context}.>`)],
      // Commands wait in a work queue until a gateway has them acknowledged by the device: an acked
      // command is removed, so a device's consumer recreated at reconnect gets exactly what is left.
      ...(context === 'commands' ? { retention: RetentionPolicy.Workqueue, max_age: COMMAND_MAX_AGE_MS * 1_000_000 } : {}),
    })),
    { ...common, name: names.deadLetterStream(), subjects: [names.subject('dlq.>')] },
  ];
}

/** Creates each stream, or updates it when its declared settings differ. Idempotent. */
export async function ensureStreams(jsm: JetStreamManager, streams: readonly StreamDeclaration[]): Promise<void> {
  for (const declared of streams) {
    const existing = await jsm.streams.info(declared.name).catch((error: { code?: number }) => {
      if (error.code === 404 || /not found/i.test(String(error))) return undefined;
      throw error;
    });
    if (!existing) {
      await jsm.streams.add(declared);
      continue;
    }
    if (declared.retention !== undefined && existing.config.retention !== declared.retention) {
      throw new Error(
        `stream ${declared.name} has ${existing.config.retention} retention but ${declared.retention} is declared; JetStream cannot change retention in place: move its messages elsewhere and delete the stream`,
      );
    }
    const drift = (Object.keys(declared) as (keyof StreamDeclaration)[]).some(
      (key) => JSON.stringify(existing.config[key as keyof StreamConfig]) !== JSON.stringify(declared[key]),
    );
    if (drift) await jsm.streams.update(declared.name, { ...existing.config, ...declared });
  }
}

/** Declaration of one KV bucket, created or updated at start. */
export interface BucketDeclaration {
  /** Logical name; the namespace is prepended. */
  name: string;
  description?: string;
  /** Values kept per key (1 = latest only). */
  history?: number;
  /** Age after which an entry expires, in ms (0 = never); presence uses it to expire dead replicas. */
  ttlMs?: number;
  /** Largest value accepted, in bytes (-1 = no limit). */
  maxValueSize?: number;
}

/**
 * Opens each declared bucket, creating it when missing and otherwise bringing the settings of its
 * backing stream (`KV_<name>`) in line with the declaration: `Kvm.create` alone keeps an existing
 * bucket's old settings. Idempotent.
 */
export async function ensureBuckets(connection: Connection, names: Names, declarations: readonly BucketDeclaration[]): Promise<Map<string, KV>> {
  const kvm = new Kvm(connection.js);
  const opened = new Map<string, KV>();
  for (const declared of declarations) {
    const options: Partial<KvOptions> = {
      replicas: connection.options.replicas,
      history: declared.history ?? 1,
      ttl: declared.ttlMs ?? 0,
      maxValueSize: declared.maxValueSize ?? -1,
      ...(declared.description ? { description: declared.description } : {}),
    };
    const bucket = names.bucket(declared.name);
    const kv = await kvm.create(bucket, options);
    const stream = `KV_${bucket}`;
    const { config } = await connection.jsm.streams.info(stream);
    const wanted = {
      max_msgs_per_subject: options.history!,
      max_age: options.ttl! * 1_000_000,
      max_msg_size: options.maxValueSize!,
      num_replicas: options.replicas!,
      ...(declared.description ? { description: declared.description } : {}),
    };
    if ((Object.keys(wanted) as (keyof typeof wanted)[]).some((key) => config[key] !== wanted[key])) {
      await connection.jsm.streams.update(stream, { ...config, ...wanted });
    }
    opened.set(declared.name, kv);
  }
  return opened;
}

/** Opens KV bucket `name` (namespaced), creating or updating it as declared. */
export async function ensureBucket(connection: Connection, names: Names, declaration: BucketDeclaration): Promise<KV> {
  return (await ensureBuckets(connection, names, [declaration])).get(declaration.name)!;
}
