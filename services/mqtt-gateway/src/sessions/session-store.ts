import { KvWatchInclude, type KV, type KvEntry } from '@nats-io/kv';
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
  /** Commands the client completed lately (their ids), so one handed over again after a crash is not sent twice. */
  completedCommands: z.array(z.string()).max(1_000).default([]),
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

  /**
   * The session of `clientId`, unless there is none or it has expired (an expired one is removed). A
   * session still marked connected is being ended by its connection (possibly on another replica, or
   * taken over just now): its last write is awaited for up to `settleMs`, so a client that reconnects
   * at once resumes the state its previous connection reached.
   */
  async load(clientId: string, settleMs = 0): Promise<StoredSession | undefined> {
    let entry = await this.kv.get(keyOf(clientId));
    if (!entry || entry.operation !== 'PUT') return undefined;
    if (settleMs > 0 && StoredSession.safeParse(entry.json()).data?.disconnectedAt === null) entry = (await this.settled(clientId, entry.revision, settleMs)) ?? entry;
    if (entry.operation !== 'PUT') return undefined;
    const parsed = StoredSession.safeParse(entry.json());
    if (!parsed.success) return undefined;
    const session = parsed.data;
    if (session.disconnectedAt && session.disconnectedAt.getTime() + session.expirySeconds * 1000 <= this.now().getTime()) {
      await this.kv.delete(keyOf(clientId), { previousSeq: entry.revision }).catch(() => undefined);
      return undefined;
    }
    return session;
  }

  /** The first write after `revision` that ends the connection (or removes the session), or undefined after `ms`. */
  private async settled(clientId: string, revision: number, ms: number): Promise<KvEntry | undefined> {
    const watch = await this.kv.watch({ key: keyOf(clientId), include: KvWatchInclude.UpdatesOnly });
    const timer = setTimeout(() => watch.stop(), ms);
    try {
      // A write that landed between the read and the watch is caught by reading again.
      const again = await this.kv.get(keyOf(clientId));
      if (again && again.revision > revision && (again.operation !== 'PUT' || StoredSession.safeParse(again.json()).data?.disconnectedAt !== null)) return again;
      for await (const entry of watch) {
        if (entry.revision <= revision) continue;
        if (entry.operation !== 'PUT' || StoredSession.safeParse(entry.json()).data?.disconnectedAt !== null) return entry;
      }
      return undefined;
    } finally {
      clearTimeout(timer);
      watch.stop();
    }
  }

  async save(session: StoredSession): Promise<void> {
    await this.kv.put(keyOf(session.clientId), JSON.stringify(session));
  }

  async discard(clientId: string): Promise<void> {
    await this.kv.delete(keyOf(clientId));
  }

  /**
   * Removes a stored session, if there is one. Most clean-start clients never had one: a read costs
   * JetStream much less than writing a delete marker at every CONNECT.
   */
  async discardIfPresent(clientId: string): Promise<void> {
    const entry = await this.kv.get(keyOf(clientId));
    if (entry && entry.operation === 'PUT') await this.kv.delete(keyOf(clientId));
  }
}
