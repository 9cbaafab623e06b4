import { CONTEXT_NAMES, type Context } from '@flotilla/contracts';
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import type { Connection } from './connect.js';
import type { Names } from './names.js';

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
    ...contexts.map((context) => ({ ...common, name: names.stream(context), subjects: [names.subject(`${context}.>`)] })),
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
    const drift = (Object.keys(declared) as (keyof StreamDeclaration)[]).some(
      (key) => JSON.stringify(existing.config[key as keyof StreamConfig]) !== JSON.stringify(declared[key]),
    );
    if (drift) await jsm.streams.update(declared.name, { ...existing.config, ...declared });
  }
}

/** Opens KV bucket `name` (namespaced), creating it with `options` when missing. */
export async function ensureBucket(connection: Connection, names: Names, name: string, options: Partial<KvOptions> = {}): Promise<KV> {
  const kvm = new Kvm(connection.js);
  return kvm.create(names.bucket(name), { replicas: connection.options.replicas, ...options });
}
