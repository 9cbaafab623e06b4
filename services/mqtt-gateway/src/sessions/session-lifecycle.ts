import type { IConnectPacket } from 'mqtt-packet';
import type { MqttConnection } from '../mqtt/connection.js';
import type { SessionStore } from './session-store.js';

/** The session of a connection: whether it outlives the connection, and for how long. */
export interface SessionState {
  store: SessionStore;
  expirySeconds: number;
  /** Serialises writes, so the last state written is the last state reached. */
  writes: Promise<void>;
  /** Whether this connection ever wrote its session (only then is there one to remove). */
  saved: boolean;
}

/** Result of opening a session at CONNECT. */
export interface OpenedSession {
  present: boolean;
  /** Set when the expiry the client asked for was lowered (MQTT 5 tells the client). */
  grantedExpirySeconds?: number;
}

/**
 * Opens the session of a CONNECT [MQTT-3.1.2-4/5, MQTT-3.2.2-2/3]. MQTT 3: clean session 0 keeps the
 * session for `maxExpirySeconds` after a disconnect. MQTT 5: Clean Start discards any stored session,
 * and the Session Expiry Interval (capped at `maxExpirySeconds`) decides how long it outlives the
 * connection. A stored session of another device under the same client id is never resumed.
 */
export async function openSession(connection: MqttConnection, packet: IConnectPacket, store: SessionStore, maxExpirySeconds: number): Promise<OpenedSession | 'conflict'> {
  const v5 = connection.protocolVersion === 5;
  const requested = v5 ? (packet.properties?.sessionExpiryInterval ?? 0) : packet.clean === false ? maxExpirySeconds : 0;
  const expirySeconds = Math.min(requested, maxExpirySeconds);
  const cleanStart = packet.clean !== false;
  const stored = cleanStart ? undefined : await store.load(connection.clientId);
  const identity = connection.identity!;
  if (stored && (stored.tenant !== identity.tenant || stored.deviceId !== identity.deviceId)) return 'conflict';
  connection.session = { store, expirySeconds, writes: Promise.resolve(), saved: stored !== undefined };
  // A clean start removes any stored session off the CONNACK path, ahead of this connection's own writes.
  if (cleanStart) connection.session.writes = store.discard(connection.clientId).catch(() => undefined);
  if (stored) for (const { filter, qos } of stored.subscriptions) connection.subscriptions.set(filter, qos);
  // Flows left open by the previous connection keep their packet ids until their commands come again.
  if (stored) for (const flight of stored.outbound) connection.outbound.restore(flight.packetId, flight.qos, flight.released, { kind: 'resumed', commandId: flight.commandId });
  if (expirySeconds > 0) saveSession(connection);
  return { present: stored !== undefined, ...(v5 && expirySeconds < requested ? { grantedExpirySeconds: expirySeconds } : {}) };
}

/** Writes the session (subscriptions, expiry) when it outlives its connection. */
export function saveSession(connection: MqttConnection, disconnectedAt: Date | null = null): void {
  const session = connection.session;
  const identity = connection.identity;
  if (!session || !identity || session.expirySeconds === 0) return;
  const record = {
    version: 1 as const,
    clientId: connection.clientId,
    tenant: identity.tenant,
    deviceId: identity.deviceId,
    subscriptions: [...connection.subscriptions].map(([filter, qos]) => ({ filter, qos })),
    outbound: [...connection.outbound.flows()].flatMap(([packetId, { qos, released, value }]) =>
      value.kind === 'command' ? [{ packetId, commandId: value.event.data.commandId, qos, released }] : value.kind === 'resumed' ? [{ packetId, commandId: value.commandId, qos, released }] : [],
    ),
    expirySeconds: session.expirySeconds,
    disconnectedAt,
  };
  session.saved = true;
  session.writes = session.writes
    .then(() => session.store.save(record))
    .catch((error: unknown) => connection.logger.warn({ err: error }, 'could not save the session'));
}

/** The connection ended: a lasting session is kept with its disconnect time, a clean one discarded. */
export function endSession(connection: MqttConnection): void {
  const session = connection.session;
  if (!session) return;
  if (session.expirySeconds > 0) saveSession(connection, new Date());
  else if (session.saved) session.writes = session.writes.then(() => session.store.discard(connection.clientId)).catch(() => undefined);
}
