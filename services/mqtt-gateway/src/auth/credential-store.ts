import { DeviceCredential } from '@flotilla/contracts';
import { KvWatchInclude, type KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { z } from 'zod';

/** Credentials read from a KV bucket (devices' or applications'), cached until KV says they changed. */
export interface CredentialStore<T = DeviceCredential> {
  get(key: string): Promise<T | undefined>;
  /** Called with the key and the new record (undefined when deleted) after every change in KV. */
  onChange(listener: (key: string, record: T | undefined) => void): void;
  stop(): void;
}

/**
 * Reads records on demand and keeps up to `maxCached` of them; a KV watch drops or replaces a cached
 * record the moment inventory changes it, so a revocation takes effect at once.
 */
export async function kvCredentialStore<S extends z.ZodType = typeof DeviceCredential>(
  kv: KV,
  logger: Logger,
  schema: S = DeviceCredential as unknown as S,
  maxCached = 100_000,
): Promise<CredentialStore<z.infer<S>>> {
  type T = z.infer<S>;
  const cache = new Map<string, T | undefined>();
  const listeners: ((key: string, record: T | undefined) => void)[] = [];
  const parse = (key: string, bytes: Uint8Array | undefined): T | undefined => {
    if (!bytes || bytes.length === 0) return undefined;
    try {
      return schema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
    } catch (error) {
      logger.error({ key, err: error }, 'unreadable credential refused');
      return undefined;
    }
  };
  const watch = await kv.watch({ key: '>', include: KvWatchInclude.UpdatesOnly });
  void (async () => {
    for await (const entry of watch) {
      const record = entry.operation === 'PUT' ? parse(entry.key, entry.value) : undefined;
      cache.delete(entry.key);
      for (const listener of listeners) listener(entry.key, record);
    }
  })().catch((error: unknown) => logger.error({ err: error }, 'credentials watch ended'));
  return {
    async get(key) {
      if (cache.has(key)) return cache.get(key);
      const entry = await kv.get(key);
      const record = entry && entry.operation === 'PUT' ? parse(key, entry.value) : undefined;
      if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string);
      cache.set(key, record);
      return record;
    },
    onChange: (listener) => void listeners.push(listener),
    stop: () => watch.stop(),
  };
}
