import { z } from 'zod';

/** The KV bucket of retained messages (desired state) that services write and the gateway delivers. */
export const RETAINED_BUCKET = 'retained';

/**
 * A retained message kept in the `retained` KV bucket (desired state the services write, e.g. a fleet's
 * policy group): delivered to every subscriber of its topic when it subscribes, and to connected
 * subscribers when it changes. Deleting the key removes it.
 */
export const RetainedMessage = z.object({
  version: z.literal(1),
  topic: z.string().min(1),
  payload: z.base64(),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  updatedAt: z.coerce.date(),
  /** MQTT 5 properties kept with an application's retained message (correlation data in base64). */
  properties: z.record(z.string(), z.unknown()).optional(),
});
/** One of {@link RetainedMessage}. */
export type RetainedMessage = z.infer<typeof RetainedMessage>;

// Each MQTT level becomes one KV token, so MQTT's level wildcards map onto KV's token wildcards. KV keys
// allow only [-/_=.A-Za-z0-9]; the `l` prefix keeps an empty level a non-empty token.
const encodeLevel = (level: string) => `l${Buffer.from(level, 'utf8').toString('base64url')}`;
const decodeLevel = (token: string) => Buffer.from(token.slice(1), 'base64url').toString('utf8');

/** KV key of a retained topic. */
export function retainedKey(topic: string): string {
  return topic.split('/').map(encodeLevel).join('.');
}

/** The topic a retained key stands for. */
export function retainedTopic(key: string): string {
  return key.split('.').map(decodeLevel).join('/');
}

/**
 * KV key filter covering an MQTT filter: `+` → `*`, a trailing `#` → `>`. `a/#` also matches `a`
 * itself in MQTT, which `>` does not; `retainedKeyFilters` returns both.
 */
export function retainedKeyFilters(filter: string): string[] {
  const levels = filter.split('/');
  const tokens = levels.map((level) => (level === '+' ? '*' : level === '#' ? '>' : encodeLevel(level)));
  if (levels.at(-1) !== '#') return [tokens.join('.')];
  const parent = tokens.slice(0, -1);
  return parent.length === 0 ? ['>'] : [tokens.join('.'), parent.join('.')];
}
