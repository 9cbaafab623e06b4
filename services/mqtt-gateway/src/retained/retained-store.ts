import { RetainedMessage, retainedKeyFilters, retainedTopic } from '@flotilla/contracts';
import { KvWatchInclude, type KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { topicMatches } from '../mqtt/topic-rules.js';

/** Retained messages from the `retained` KV bucket, which services write desired state into. */
export interface RetainedStore {
  /** Every retained message whose topic matches `filter`. */
  matching(filter: string): Promise<RetainedMessage[]>;
  /** Called for every later change: the new message, or undefined when the topic's was removed. */
  onChange(listener: (topic: string, message: RetainedMessage | undefined) => void): void;
  stop(): void;
}

/** Opens the retained store over `kv`; unreadable entries are logged and skipped. */
export async function kvRetainedStore(kv: KV, logger: Logger): Promise<RetainedStore> {
  const parse = (key: string, bytes: Uint8Array): RetainedMessage | undefined => {
    try {
      return RetainedMessage.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
    } catch (error) {
      logger.error({ key, err: error }, 'unreadable retained message skipped');
      return undefined;
    }
  };
  const listeners: ((topic: string, message: RetainedMessage | undefined) => void)[] = [];
  const watch = await kv.watch({ key: '>', include: KvWatchInclude.UpdatesOnly });
  void (async () => {
    for await (const entry of watch) {
      const message = entry.operation === 'PUT' ? parse(entry.key, entry.value) : undefined;
      for (const listener of listeners) listener(retainedTopic(entry.key), message);
    }
  })().catch((error: unknown) => logger.error({ err: error }, 'retained watch ended'));
  return {
    async matching(filter) {
      const found: RetainedMessage[] = [];
      for (const keyFilter of retainedKeyFilters(filter)) {
        for await (const key of await kv.keys(keyFilter)) {
          // The KV filter is level-exact; MQTT's own rules (e.g. `$` topics) are applied on top.
          if (!topicMatches(filter, retainedTopic(key))) continue;
          const entry = await kv.get(key);
          const message = entry?.operation === 'PUT' ? parse(key, entry.value) : undefined;
          if (message) found.push(message);
        }
      }
      return found;
    },
    onChange: (listener) => void listeners.push(listener),
    stop: () => watch.stop(),
  };
}
