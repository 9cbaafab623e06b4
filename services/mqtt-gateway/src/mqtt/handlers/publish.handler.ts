import type { IPublishPacket, IPubrelPacket } from 'mqtt-packet';
import { forwardedProperties } from '../../applications/app-message.js';
import { identityKind } from '../../auth/authenticator.js';
import type { MqttConnection } from '../connection.js';
import type { DeviceMessage, PublishOutcome } from '../dialect-router.js';
import { ReasonCode } from '../reason-codes.js';
import { isValidTopicName } from '../topic-rules.js';

const V5_REASON: Record<PublishOutcome['kind'] | 'not-authorized' | 'topic-invalid' | 'payload-invalid', number> = {
  stored: ReasonCode.success,
  ignored: ReasonCode.success,
  refused: ReasonCode.unspecifiedError,
  'not-authorized': ReasonCode.notAuthorized,
  'topic-invalid': ReasonCode.topicNameInvalid,
  'payload-invalid': ReasonCode.payloadFormatInvalid,
};

/** Routes a device message through its dialect; a refused one is kept as a dead letter with its raw bytes. */
export async function routeDeviceMessage(connection: MqttConnection, message: DeviceMessage): Promise<PublishOutcome> {
  const { bus, metrics } = connection.deps;
  const identity = connection.identity!;
  const router = connection.deps.routerFor(identity);
  const outcome = await router.publish(identity, message);
  if (outcome.kind === 'refused') {
    metrics.rejections.inc({ reason: outcome.code });
    connection.logger.info({ topic: message.topic, code: outcome.code, reason: outcome.reason }, 'device message refused');
    await bus.deadLetter({ stream: 'MQTT', consumer: identityKind(identity), subject: message.topic }, message.payload, `${identity.tenant}/${identity.deviceId}: ${outcome.code}: ${outcome.reason}`);
  }
  return outcome;
}

/**
 * PUBLISH from a client [MQTT-3.3]. The PUBACK (QoS 1) or PUBREC (QoS 2) is sent only after the event
 * is stored in JetStream (hardening §2.1); when storing fails the client is not acknowledged and is
 * disconnected, so it resends. Acks leave in arrival order while the stores run concurrently.
 */
export function handlePublish(connection: MqttConnection, packet: IPublishPacket): void {
  const { metrics, limits } = connection.deps;
  const v5 = connection.protocolVersion === 5;
  metrics.messagesIn.inc({ qos: String(packet.qos) });
  const alias = packet.properties?.topicAlias;
  if (alias !== undefined) {
    // [MQTT-3.3.2-8/9] an alias is 1..the Topic Alias Maximum the server announced.
    if (alias === 0 || alias > limits.topicAliasMaximum) return connection.close('protocol-error', ReasonCode.topicAliasInvalid, `topic alias ${alias} out of range`);
    if (packet.topic === '') {
      const known = connection.topicAliases.get(alias);
      if (known === undefined) return connection.close('protocol-error', ReasonCode.protocolError, `topic alias ${alias} was never set`);
      packet.topic = known;
    } else if (isValidTopicName(packet.topic)) {
      connection.topicAliases.set(alias, packet.topic);
    }
  }
  if (!isValidTopicName(packet.topic)) {
    metrics.rejections.inc({ reason: 'topic-name-invalid' });
    return connection.close('protocol-error', ReasonCode.topicNameInvalid, `invalid topic name ${JSON.stringify(packet.topic)}`);
  }
  const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
  if (payload.length > limits.maxPacketSize) {
    metrics.rejections.inc({ reason: 'packet-too-large' });
    return connection.close('limit-exceeded', ReasonCode.packetTooLarge, 'payload too large');
  }
  const id = packet.messageId ?? 0;
  const identity = connection.identity!;
  if (!(packet.qos === 2 && connection.awaitingRelease.has(id)) && !(packet.qos > 0 && connection.inFlight.has(id))) {
    const limit = connection.deps.quotas.takeMessage(identity.tenant, identity.deviceId);
    if (limit) {
      connection.deps.quotas.exceeded(connection, limit, `PUBLISH to ${packet.topic}`);
      // MQTT 5: Quota exceeded on the ack, nothing stored; QoS 0 is dropped. MQTT 3 has no negative ack:
      // the connection ends unacknowledged, so the client keeps the message and sends it again later.
      if (!v5) return connection.close('limit-exceeded', undefined, limit);
      if (packet.qos === 0) return;
      connection.ackChain = connection.ackChain.then(() =>
        connection.send(packet.qos === 1 ? { cmd: 'puback', messageId: id, reasonCode: ReasonCode.quotaExceeded } : { cmd: 'pubrec', messageId: id, reasonCode: ReasonCode.quotaExceeded }),
      );
      return;
    }
  }
  if (packet.qos === 2 && connection.awaitingRelease.has(id)) {
    // A resend before PUBREL: answer PUBREC again, store nothing (hardening §1.7).
    connection.ackChain = connection.ackChain.then(() => connection.send({ cmd: 'pubrec', messageId: id }));
    return;
  }
  if (packet.qos > 0) {
    if (connection.inFlight.has(id)) return; // DUP of a message still being stored; its ack follows.
    if (connection.inFlight.size + connection.awaitingRelease.size >= limits.receiveMaximum) {
      metrics.rejections.inc({ reason: 'receive-maximum-exceeded' });
      return connection.close('limit-exceeded', ReasonCode.receiveMaximumExceeded, 'receive maximum exceeded');
    }
    connection.inFlight.add(id);
  }
  const work = routeDeviceMessage(connection, { topic: packet.topic, payload, qos: packet.qos, retain: packet.retain, clientId: connection.clientId, properties: forwardedProperties(packet.properties), connectionId: connection.id, connectedAt: connection.connectedAt });
  connection.ackChain = connection.ackChain.then(async () => {
    let outcome: PublishOutcome;
    try {
      outcome = await work;
    } catch (error) {
      connection.logger.warn({ err: error, topic: packet.topic }, 'could not store device message; client not acknowledged');
      metrics.rejections.inc({ reason: 'store-failed' });
      return connection.close('socket-error', ReasonCode.serverBusy, 'message could not be stored, resend it');
    } finally {
      connection.inFlight.delete(id);
    }
    const code = outcome.kind === 'refused' ? outcome.code : outcome.kind;
    // MQTT 3 has no negative ack: a publish to a topic the device does not own ends the connection.
    if (code === 'not-authorized' && !v5) return connection.close('protocol-error', undefined, 'publish not authorized');
    if (packet.qos === 0) return;
    const reasonCode = V5_REASON[code];
    if (packet.qos === 1) return connection.send({ cmd: 'puback', messageId: id, ...(v5 ? { reasonCode } : {}) });
    // QoS 2: an error reason in PUBREC ends the flow [MQTT-4.3.3]; success waits for PUBREL.
    if (reasonCode < 0x80) connection.awaitingRelease.add(id);
    connection.send({ cmd: 'pubrec', messageId: id, ...(v5 ? { reasonCode } : {}) });
  });
}

/** PUBREL → PUBCOMP; the packet id is released [MQTT-4.3.3]. */
export function handlePubrel(connection: MqttConnection, packet: IPubrelPacket): void {
  const id = packet.messageId ?? 0;
  connection.ackChain = connection.ackChain.then(() => {
    const known = connection.awaitingRelease.delete(id);
    connection.send({ cmd: 'pubcomp', messageId: id, ...(connection.protocolVersion === 5 && !known ? { reasonCode: ReasonCode.packetIdentifierNotFound } : {}) });
  });
}
