import { CONTEXTS, DEAD_LETTER, type Context } from '@flotilla/contracts';

/** Maps the logical names of contracts onto one namespace's streams, subjects and buckets. */
export interface Names {
  readonly namespace: string;
  stream(context: Context): string;
  deadLetterStream(): string;
  subject(logical: string): string;
  /** Inverse of {@link Names.subject}. */
  logicalSubject(physical: string): string;
  bucket(name: string): string;
  consumer(durable: string): string;
}

/** Names for `namespace` ('' = production names). */
export function namesFor(namespace: string): Names {
  const prefix = namespace ? `${namespace}.` : '';
  const streamPrefix = namespace ? `${namespace}_` : '';
  return {
    namespace,
    stream: (context) => `${streamPrefix}${CONTEXTS[context].stream}`,
    deadLetterStream: () => `${streamPrefix}${DEAD_LETTER.stream}`,
    subject: (logical) => `${prefix}${logical}`,
    logicalSubject: (physical) => (prefix && physical.startsWith(prefix) ? physical.slice(prefix.length) : physical),
    bucket: (name) => `${streamPrefix}${name}`,
    consumer: (durable) => durable,
  };
}
