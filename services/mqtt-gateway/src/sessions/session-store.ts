import type { KV } from '@nats-io/kv';
import { z } from 'zod';

/** A persistent MQTT session as kept in the `mqtt-sessions` bucket, so any replica can resume it. */
export const StoredSession = z.object({
  version: z.literal(1),
  clientId: z.string(),
  tenant: z.string(),
  /** The device id, or the application id when `kind` is `application`. */
  deviceId: z.string(),
  kind: z.enum(['device', 'application']).default('device'),
  subscriptions: z.array(
    z.object({ filter: z.string(), qos: z.number().int().min(0).max(2), noLocal: z.boolean().optional(), retainAsPublished: z.boolean().optional() }),
  ),
  /**
   * Flows sent and not completed by the client, resumed with the same packet id [MQTT-4.4.0-1]: a
   * command (by id, handed over again by the queue) or an application message (by stream sequence).
   */
  outbound: z
    .array(
      z.object({
        packetId: z.number().int().min(1).max(65_535),
        qos: z.union([z.literal(1), z.literal(2)]),
        released: z.boolean(),
        commandId: z.string().optional(),
        stream: z.string().optional(),
        seq: z.number().int().min(1).optional(),
      }),
    )
    .default([]),
  /** Applications: the last sequence handled of each stream they read. */
  cursors: z.record(z.string(), z.number().int().min(0)).default({}),
  /** Seconds the session outlives its connection. */
  expirySeconds: z.number().int().min(0),
  /** Null while connected. */
  disconnectedAt: z.coerce.date().nullable(),
});
/** One of {@link StoredSession}. */
export type StoredSession = z.infer<typeof StoredSession>;

const keyOf = (clientId: string) => `c.${Buffer.from(clientId, 'utf8').toString('base64url') || '-'}`;

/** Sessions by client id in KV. */
export class SessionStore {
  constructor(
    private readonly kv: KV,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The session of `clientId`, unless there is none or it has expired (an expired one is removed). */
  async load(clientId: string): Promise<StoredSession | undefined> {
    const entry = await this.kv.get(keyOf(clientId));
    if (!entry || entry.operation !== 'PUT') return undefined;
    const parsed = StoredSession.safeParse(entry.json());
    if (!parsed.success) return undefined;
    const session = parsed.data;
    if (session.disconnectedAt && session.disconnectedAt.getTime() + session.expirySeconds * 1000 <= this.now().getTime()) {
      await this.kv.delete(keyOf(clientId), { previousSeq: entry.revision }).catch(() => undefined);
      return undefined;
    }
    return session;
  }

  async save(session: StoredSession): Promise<void> {
    await this.kv.put(keyOf(session.clientId), JSON.stringify(session));
  }

  async discard(clientId: string): Promise<void> {
    await this.kv.delete(keyOf(clientId));
  }
}
