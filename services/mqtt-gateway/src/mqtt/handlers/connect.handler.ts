import { randomUUID } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { IConnectPacket } from 'mqtt-packet';
import { OutboundWindow } from '../../commands/outbound-window.js';
import { openSession } from '../../sessions/session-lifecycle.js';
import { deliverRetainedOnSubscribe } from '../../retained/retained-delivery.js';
import { identityKind } from '../../auth/authenticator.js';
import type { MqttConnection } from '../connection.js';
import { ConnackV3, ReasonCode } from '../reason-codes.js';
import { isValidTopicName } from '../topic-rules.js';

/** A refusing CONNACK: the MQTT 5 reason code, or the MQTT 3 return code. */
export function sendConnackRefusal(connection: MqttConnection, v5: number, v3: number): void {
  connection.send(connection.protocolVersion === 5 ? { cmd: 'connack', reasonCode: v5, sessionPresent: false } : { cmd: 'connack', returnCode: v3, sessionPresent: false });
}

function refuse(connection: MqttConnection, v5: number, v3: number, detail: string): void {
  sendConnackRefusal(connection, v5, v3);
  connection.deps.metrics.rejections.inc({ reason: `connect-${v5.toString(16)}` });
  connection.close('protocol-error', undefined, detail);
}

/** CONNECT → authenticate → CONNACK [MQTT-3.1], [MQTT-3.2]. */
export async function handleConnect(connection: MqttConnection, packet: IConnectPacket): Promise<void> {
  connection.state = 'connecting';
  connection.connectReceived();
  connection.protocolVersion = packet.protocolVersion ?? 4;
  const { limits, authenticator, throttle, metrics } = connection.deps;
  // Strings must be well-formed UTF-8 without U+0000 [MQTT-1.5.4-1/2]; mqtt-packet decodes bad UTF-8 to U+FFFD.
  if ([packet.clientId, packet.username, packet.will?.topic].some((text) => text !== undefined && /[\u0000\uFFFD]/.test(text))) {
    metrics.rejections.inc({ reason: 'malformed-packet' });
    return connection.close('protocol-error', undefined, 'invalid string in CONNECT');
  }
  // A Receive Maximum or Maximum Packet Size of 0 is a protocol error [MQTT-3.1.2-?, MQTT 5 §3.1.2.11].
  if (packet.properties?.receiveMaximum === 0 || packet.properties?.maximumPacketSize === 0) {
    metrics.rejections.inc({ reason: 'protocol-error' });
    // Properties exist only in MQTT 5, so this is always the MQTT 5 form.
    sendConnackRefusal(connection, ReasonCode.protocolError, ConnackV3.unacceptableProtocolVersion);
    return connection.close('protocol-error', undefined, 'Receive Maximum or Maximum Packet Size of 0');
  }
  // MQTT 3.1.1 forbids a password without a username [MQTT-3.1.2-22] (MQTT 5 allows it).
  if (connection.protocolVersion < 5 && packet.password !== undefined && packet.username === undefined) {
    metrics.rejections.inc({ reason: 'protocol-error' });
    return connection.close('protocol-error', undefined, 'password without username');
  }
  let clientId = packet.clientId;
  let assigned = false;
  if (clientId === '') {
    if (connection.protocolVersion === 5) {
      clientId = `flotilla-${randomUUID()}`; // [MQTT-3.1.3-6]
      assigned = true;
    } else if (connection.protocolVersion === 3 || packet.clean === false) {
      // 3.1 requires an id; 3.1.1 allows an empty one only with a clean session [MQTT-3.1.3-8].
      return refuse(connection, ReasonCode.clientIdentifierNotValid, ConnackV3.identifierRejected, 'empty client id');
    }
  }
  // A client reconnecting in a storm is held off before authentication, by client id and by username.
  if (!connection.deps.quotas.admitIdentity(clientId, packet.username)) {
    metrics.rejections.inc({ reason: 'flapping' });
    return refuse(connection, ReasonCode.connectionRateExceeded, ConnackV3.serverUnavailable, 'reconnecting too often');
  }
  // Failures count per source address and per identity; a locked one is refused before any lookup.
  const throttleKeys = [`ip:${connection.socket.remoteAddress ?? 'unknown'}`, `id:${packet.username ?? clientId}`];
  // Only a certificate that chained to the listener's CA identifies a device (hardening §3.3).
  const { socket } = connection;
  const certificateFingerprint = socket instanceof TLSSocket && socket.authorized ? socket.getPeerCertificate().fingerprint256?.replace(/:/g, '').toLowerCase() : undefined;
  const identity = throttle.isLocked(throttleKeys) ? undefined : await authenticator.authenticate({ clientId, username: packet.username, password: packet.password, certificateFingerprint });
  if (!identity) {
    metrics.authFailures.inc();
    throttle.failed(throttleKeys);
    // Unknown user and wrong password get the same answer (hardening §3.1).
    return refuse(connection, ReasonCode.badUserNameOrPassword, ConnackV3.notAuthorized, 'authentication failed');
  }
  throttle.succeeded(throttleKeys[1]!);
  const router = connection.deps.routerFor(identity);
  if (packet.will && !isValidTopicName(packet.will.topic)) {
    return refuse(connection, ReasonCode.topicNameInvalid, ConnackV3.notAuthorized, `will topic ${packet.will.topic} is not a topic name`);
  }
  if (packet.will && !router.mayPublish(identity, packet.will.topic)) {
    return refuse(connection, ReasonCode.notAuthorized, ConnackV3.notAuthorized, `will topic ${packet.will.topic} not allowed`);
  }
  connection.clientId = clientId;
  connection.identity = identity;
  if (connection.deps.clientIds.claim(connection) === 'conflict') {
    // A client id is bound to the device that holds it: no takeover of another device's session.
    return refuse(connection, ReasonCode.clientIdentifierNotValid, ConnackV3.identifierRejected, `client id ${clientId} is held by another device`);
  }
  // Never more outbound QoS 1/2 in flight than the client accepts [MQTT-3.3.4-7]; a resumed session's
  // open flows are restored into this window.
  connection.outbound = new OutboundWindow(Math.min(packet.properties?.receiveMaximum ?? 65_535, connection.outbound.limit));
  connection.clientMaximumPacketSize = packet.properties?.maximumPacketSize ?? Number.POSITIVE_INFINITY;
  const session = await openSession(connection, packet, connection.deps.sessions.store, connection.deps.sessions.maxExpirySeconds);
  if (session === 'conflict') return refuse(connection, ReasonCode.clientIdentifierNotValid, ConnackV3.identifierRejected, `client id ${clientId} has another device's session`);
  const requested = packet.keepalive ?? 0;
  const keepAlive = requested === 0 || requested > limits.maxKeepAliveSeconds ? limits.maxKeepAliveSeconds : requested;
  connection.will = packet.will;
  connection.state = 'connected';
  connection.connectedAt = Date.now();
  connection.send(
    connection.protocolVersion === 5
      ? {
          cmd: 'connack',
          reasonCode: ReasonCode.success,
          sessionPresent: session.present,
          properties: {
            receiveMaximum: limits.receiveMaximum,
            maximumPacketSize: limits.maxPacketSize,
            topicAliasMaximum: limits.topicAliasMaximum,
            // Applications have a broker with retained messages; devices' retained state is the platform's.
            retainAvailable: identity.application !== undefined,
            sharedSubscriptionAvailable: false,
            subscriptionIdentifiersAvailable: false,
            wildcardSubscriptionAvailable: true,
            ...(keepAlive !== requested ? { serverKeepAlive: keepAlive } : {}),
            ...(assigned ? { assignedClientIdentifier: clientId } : {}),
            ...(session.grantedExpirySeconds !== undefined ? { sessionExpiryInterval: session.grantedExpirySeconds } : {}),
          },
        }
      : { cmd: 'connack', returnCode: ConnackV3.accepted, sessionPresent: session.present },
  );
  connection.deps.registerDevice(connection);
  metrics.connections.inc({ dialect: identityKind(identity) });
  connection.startKeepAlive(keepAlive);
  connection.deps.presence.connected(connection);
  if (session.present && connection.subscriptions.size > 0) resumeSubscriptions(connection);
}

/**
 * A resumed session's subscriptions receive again what is queued for them (commands) and the current
 * retained state, which may have changed while the device was away; the device sends no SUBSCRIBE. An
 * application's open flows are sent again, then its reading continues where the session left it.
 */
function resumeSubscriptions(connection: MqttConnection): void {
  const failed = (error: unknown) => connection.logger.warn({ err: error }, 'could not resume delivery');
  if (connection.identity?.application) {
    const feed = (connection.feed ??= connection.deps.applicationFeed(connection));
    const open = [...connection.outbound.flows()].flatMap(([id, { value, qos, released }]) => (value.kind === 'stream' ? [{ id, qos, value, released }] : []));
    void Promise.all(open.map(({ id, qos, value, released }) => feed.resend(id, qos, value.stream, value.seq, released)))
      .then(() => connection.startDelivery())
      .catch(failed);
    return;
  }
  connection.startDelivery().catch(failed);
  for (const [filter, qos] of connection.subscriptions) {
    deliverRetainedOnSubscribe(connection, filter, qos).catch((error: unknown) => connection.logger.warn({ err: error, filter }, 'retained delivery failed'));
  }
}
