import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';

/** Who holds a device's connection, as kept in the `presence` bucket. */
export interface PresenceEntry {
  tenant: string;
  deviceId: string;
  dialect: string;
  clientId: string;
  gatewayId: string;
  connectionId: string;
  connectedAt: string;
  /** Set for an application's connection (then `deviceId` stands for its client id). */
  applicationId?: string;
}

const b64 = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

/** Presence key of a device: KV keys allow `[-/_=.A-Za-z0-9]`, device ids may hold anything else. */
export function presenceKey(tenant: string, deviceId: string): string {
  return `${b64(tenant)}.${b64(deviceId)}`;
}

/** Callbacks of the registry: a device moved to another connection, or the replica holding it died. */
export interface PresenceRegistryEvents {
  /** A connection (on any replica) now holds this device, as of KV revision `revision`. */
  claimed(entry: PresenceEntry, revision: number): void;
  /** This replica removed the entry of a device whose replica stopped heart-beating. */
  expired(entry: PresenceEntry): void;
}

/**
 * Device presence shared by every replica. Each replica heart-beats in `replicas` (a bucket whose
 * entries expire after the TTL) and writes its devices to `presence`. Every replica watches `presence`;
 * a device whose replica's heartbeat has expired is removed (compare-and-delete, so one replica wins)
 * and reported, so presence converges after a SIGKILL within TTL + TTL/3.
 */
export async function presenceRegistry(options: { presence: KV; replicas: KV; gatewayId: string; ttlMs: number; logger: Logger; events: PresenceRegistryEvents }) {
  const { presence, replicas, gatewayId, ttlMs, logger, events } = options;
  const mirror = new Map<string, { entry: PresenceEntry; revision: number }>();
  const heartbeat = () => replicas.put(gatewayId, JSON.stringify({ gatewayId, heartbeatAt: new Date().toISOString() }));
  await heartbeat();

  const watch = await presence.watch({ key: '>' });
  void (async () => {
    for await (const change of watch) {
      if (change.operation !== 'PUT') {
        mirror.delete(change.key);
        continue;
      }
      const entry = JSON.parse(change.string()) as PresenceEntry;
      mirror.set(change.key, { entry, revision: change.revision });
      events.claimed(entry, change.revision);
    }
  })().catch((error: unknown) => logger.error({ err: error }, 'presence watch ended'));

  async function reap(): Promise<void> {
    const alive = new Set<string>();
    for await (const key of await replicas.keys()) alive.add(key);
    for (const [key, { entry, revision }] of mirror) {
      if (alive.has(entry.gatewayId)) continue;
      try {
        await presence.delete(key, { previousSeq: revision });
      } catch {
        continue; // changed meanwhile (reconnected elsewhere) or removed by another replica
      }
      events.expired(entry);
    }
  }

  const timer = setInterval(() => {
    heartbeat()
      .then(reap)
      .catch((error: unknown) => logger.warn({ err: error }, 'presence heartbeat or reaping failed'));
  }, Math.max(250, Math.floor(ttlMs / 3)));
  timer.unref();

  return {
    /** Records that `entry`'s connection now holds the device; resolves with the KV revision of that write. */
    connected(entry: PresenceEntry): Promise<number> {
      return presence.put(presenceKey(entry.tenant, entry.deviceId), JSON.stringify(entry));
    },
    /** The connection id holding the device, as last seen by the watch. */
    holder(tenant: string, deviceId: string): string | undefined {
      return mirror.get(presenceKey(tenant, deviceId))?.entry.connectionId;
    },
    /** Removes the device's entry if it still belongs to `connectionId`. */
    async disconnected(tenant: string, deviceId: string, connectionId: string): Promise<void> {
      const key = presenceKey(tenant, deviceId);
      const current = await presence.get(key);
      if (!current || current.operation !== 'PUT' || (JSON.parse(current.string()) as PresenceEntry).connectionId !== connectionId) return;
      await presence.delete(key, { previousSeq: current.revision }).catch(() => undefined);
    },
    /** Stops heart-beating and watching; the entries stay until this replica's heartbeat expires, unless removed first. */
    async stop(): Promise<void> {
      clearInterval(timer);
      watch.stop();
      await replicas.delete(gatewayId).catch(() => undefined);
    },
  };
}
/** A running {@link presenceRegistry}. */
export type PresenceRegistry = Awaited<ReturnType<typeof presenceRegistry>>;
