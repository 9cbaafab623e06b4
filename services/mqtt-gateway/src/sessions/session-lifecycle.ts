import type { IConnectPacket } from 'mqtt-packet';
import { principalKey } from '../auth/authenticator.js';
import type { MqttConnection } from '../mqtt/connection.js';
import type { SessionStore, StoredSession } from './session-store.js';

/** The session of a connection: whether it outlives the connection, and for how long. */
export interface SessionState {
  store: SessionStore;
  expirySeconds: number;
  /** Serialises writes, so the last state written is the last state reached. */
  writes: Promise<void>;
  /** A write is queued and not started: it will write the state as it is then, so no other is needed. */
  queued: boolean;
  /** Whether this connection ever wrote its session (only then is there one to remove). */
  saved: boolean;
  /** Set when the connection ended. */
  disconnectedAt: Date | null;
  /** Commands the client completed lately, newest last: one handed over again after a crash is not sent twice. */
  completed: string[];
}

/** How many completed command ids a session remembers. */
export const COMPLETED_COMMANDS_KEPT = 64;

/** Longest a CONNECT waits for the previous connection of its session to write its last state. */
export const SESSION_SETTLE_MS = 1_000;

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
 * connection. A stored session of another device (or application) under the same client id is never resumed.
 */
export async function openSession(connection: MqttConnection, packet: IConnectPacket, store: SessionStore, maxExpirySeconds: number): Promise<OpenedSession | 'conflict'> {
  const v5 = connection.protocolVersion === 5;
  const requested = v5 ? (packet.properties?.sessionExpiryInterval ?? 0) : packet.clean === false ? maxExpirySeconds : 0;
  const expirySeconds = Math.min(requested, maxExpirySeconds);
  const cleanStart = packet.clean !== false;
  const stored = cleanStart ? undefined : await store.load(connection.clientId, SESSION_SETTLE_MS);
  const identity = connection.identity!;
  if (stored && principalKey({ tenant: stored.tenant, deviceId: stored.deviceId, ...(stored.kind === 'application' ? { application: identity.application } : {}) }) !== principalKey(identity)) return 'conflict';
  // A clean start removes any stored session before the CONNACK: a later CONNECT of the client, on any
  // replica, must not find it (a read when there is none, which is the usual case).
  if (cleanStart) await store.discardIfPresent(connection.clientId).catch((error: unknown) => connection.logger.warn({ err: error }, 'could not discard the stored session'));
  connection.session = { store, expirySeconds, writes: Promise.resolve(), queued: false, saved: stored !== undefined, disconnectedAt: null, completed: [...(stored?.completedCommands ?? [])] };
  if (stored) restore(connection, stored);
  if (expirySeconds > 0) saveSession(connection);
  return { present: stored !== undefined, ...(v5 && expirySeconds < requested ? { grantedExpirySeconds: expirySeconds } : {}) };
}

function restore(connection: MqttConnection, stored: StoredSession): void {
  for (const { filter, qos, noLocal, retainAsPublished } of stored.subscriptions) {
    connection.subscriptions.set(filter, qos);
    if (noLocal || retainAsPublished) connection.subscriptionOptions.set(filter, { noLocal: noLocal ?? false, retainAsPublished: retainAsPublished ?? false });
  }
  // Flows left open by the previous connection keep their packet ids: commands until the queue hands
  // them over again, application messages until they are sent again from their stream.
  for (const flight of stored.outbound) {
    if (flight.commandId !== undefined) connection.outbound.restore(flight.packetId, flight.qos, flight.released, { kind: 'resumed', commandId: flight.commandId });
    else if (flight.stream !== undefined && flight.seq !== undefined) connection.outbound.restore(flight.packetId, flight.qos, flight.released, { kind: 'stream', stream: flight.stream, seq: flight.seq });
  }
  if (connection.identity?.application) {
    connection.feed ??= connection.deps.applicationFeed(connection);
    for (const [stream, seq] of Object.entries(stored.cursors)) connection.feed.cursors.set(stream, seq);
  }
}

/** The session as stored, from the connection's state now. */
function record(connection: MqttConnection): StoredSession {
  const identity = connection.identity!;
  const session = connection.session!;
  return {
    version: 1,
    clientId: connection.clientId,
    tenant: identity.tenant,
    deviceId: identity.deviceId,
    kind: identity.application ? 'application' : 'device',
    subscriptions: [...connection.subscriptions].map(([filter, qos]) => ({ filter, qos, ...connection.subscriptionOptions.get(filter) })),
    outbound: [...connection.outbound.flows()].flatMap(([packetId, { qos, released, value }]): StoredSession['outbound'] => {
      if (value.kind === 'command') return [{ packetId, commandId: value.event.data.commandId, qos, released }];
      if (value.kind === 'resumed') return [{ packetId, commandId: value.commandId, qos, released }];
      if (value.kind === 'stream') return [{ packetId, stream: value.stream, seq: value.seq, qos, released }];
      return [];
    }),
    cursors: connection.feed ? Object.fromEntries(connection.feed.cursors) : {},
    completedCommands: session.completed,
    expirySeconds: session.expirySeconds,
    disconnectedAt: session.disconnectedAt,
  };
}

/**
 * Writes the session (subscriptions, open flows, reading positions, expiry) when it outlives its
 * connection. Writes are serialised, and a burst of changes costs one write: the queued write stores the
 * state as it is when it runs.
 */
export function saveSession(connection: MqttConnection): void {
  const session = connection.session;
  if (!session || !connection.identity || session.expirySeconds === 0 || session.queued) return;
  session.saved = true;
  session.queued = true;
  session.writes = session.writes
    .then(() => {
      session.queued = false;
      return session.store.save(record(connection));
    })
    .catch((error: unknown) => connection.logger.warn({ err: error }, 'could not save the session'));
}

/**
 * Saves the session and resolves once the write holding its current state is done (or has failed and
 * been logged). A QoS 2 command waits for this before it is sent, so a replica killed right after the
 * PUBLISH leaves a session that resumes the flow under the same packet id, never a second delivery.
 */
export async function persistSession(connection: MqttConnection): Promise<void> {
  saveSession(connection);
  await connection.session?.writes;
}

/** The connection ended: a lasting session is kept with its disconnect time, a clean one discarded. */
export function endSession(connection: MqttConnection): void {
  const session = connection.session;
  if (!session) return;
  session.disconnectedAt = new Date();
  if (session.expirySeconds > 0) {
    // The last state is taken now: the connection is about to forget its open flows.
    const last = record(connection);
    session.queued = true;
    session.saved = true;
    session.writes = session.writes.then(() => session.store.save(last)).catch((error: unknown) => connection.logger.warn({ err: error }, 'could not save the session'));
  } else if (session.saved) session.writes = session.writes.then(() => session.store.discard(connection.clientId)).catch(() => undefined);
}
