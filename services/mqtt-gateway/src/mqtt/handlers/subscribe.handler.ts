import type { ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { ReasonCode, SUBACK_FAILURE_V3 } from '../reason-codes.js';
import { isValidTopicFilter } from '../topic-rules.js';
import { deliverRetainedOnSubscribe } from '../../retained/retained-delivery.js';
import { saveSession } from '../../sessions/session-lifecycle.js';

/**
 * SUBSCRIBE [MQTT-3.8]: each filter is checked for syntax and against the dialect's rules; refused ones
 * get 0x80 (MQTT 3) or 0x8F / 0x87 (MQTT 5). Granted subscriptions are recorded and receive the
 * device's queued commands.
 */
export function handleSubscribe(connection: MqttConnection, packet: ISubscribePacket): Promise<void> | void {
  const v5 = connection.protocolVersion === 5;
  const identity = connection.identity!;
  if (packet.subscriptions.length === 0) return connection.close('protocol-error', ReasonCode.protocolError, 'empty SUBSCRIBE'); // [MQTT-3.8.3-3]
  if (packet.properties?.subscriptionIdentifier !== undefined) {
    // Announced as unavailable in CONNACK [MQTT 5 §3.2.2.3.12].
    return connection.close('protocol-error', ReasonCode.subscriptionIdentifiersNotSupported, 'subscription identifiers are not supported');
  }
  const { maxSubscriptions } = connection.deps.limits;
  if (packet.subscriptions.length > maxSubscriptions) {
    connection.deps.metrics.rejections.inc({ reason: 'subscribe-flood' });
    return connection.close('limit-exceeded', ReasonCode.quotaExceeded, `more than ${maxSubscriptions} filters in one SUBSCRIBE`);
  }
  const existed = packet.subscriptions.map(({ topic }) => connection.subscriptions.has(topic));
  const granted = packet.subscriptions.map(({ topic, qos, nl, rap }) => {
    if (topic.startsWith('$share/')) {
      // Shared subscriptions are announced as unavailable in CONNACK; the same rules would apply to them.
      connection.deps.metrics.rejections.inc({ reason: 'shared-subscription' });
      return v5 ? ReasonCode.sharedSubscriptionsNotSupported : SUBACK_FAILURE_V3;
    }
    if (!connection.subscriptions.has(topic) && connection.subscriptions.size >= maxSubscriptions) {
      connection.deps.metrics.rejections.inc({ reason: 'subscriptions-per-session' });
      return v5 ? ReasonCode.quotaExceeded : SUBACK_FAILURE_V3;
    }
    if (!isValidTopicFilter(topic)) {
      connection.deps.metrics.rejections.inc({ reason: 'topic-filter-invalid' });
      return v5 ? ReasonCode.topicFilterInvalid : SUBACK_FAILURE_V3;
    }
    if (!connection.deps.routerFor(identity).maySubscribe(identity, topic)) {
      connection.deps.metrics.rejections.inc({ reason: 'subscribe-not-authorized' });
      return v5 ? ReasonCode.notAuthorized : SUBACK_FAILURE_V3;
    }
    connection.subscriptions.set(topic, qos);
    // A new SUBSCRIBE for an existing filter replaces it, options included [MQTT-3.8.4-3].
    if (nl || rap) connection.subscriptionOptions.set(topic, { noLocal: nl ?? false, retainAsPublished: rap ?? false });
    else connection.subscriptionOptions.delete(topic);
    return qos;
  });
  saveSession(connection);
  // Commands flow once the device listens (they wait in the queue until then). An application's reading
  // position is fixed before its SUBACK and before its next packet is handled, so whatever it (or anyone)
  // publishes after this SUBSCRIBE reaches the subscription, and a DISCONNECT right after it keeps it.
  const delivery = (connection.subscriptions.size > 0 ? connection.startDelivery() : Promise.resolve()).catch((error: unknown) => connection.logger.warn({ err: error }, 'could not start delivery'));
  connection.ackChain = connection.ackChain.then(async () => {
    await delivery;
    connection.send({ cmd: 'suback', messageId: packet.messageId ?? 0, granted });
    // Retained messages of each granted filter follow its SUBACK [MQTT-3.3.1-6], unless MQTT 5 Retain
    // Handling says not at all (2) or only for a new subscription (1) [MQTT-3.3.1-9/10].
    for (const [index, { topic, rh }] of packet.subscriptions.entries()) {
      const qos = granted[index]!;
      if (qos > 2 || rh === 2 || (rh === 1 && existed[index])) continue;
      await deliverRetainedOnSubscribe(connection, topic, qos).catch((error: unknown) => connection.logger.warn({ err: error, topic }, 'retained delivery failed'));
    }
  });
  return connection.identity?.application ? delivery : undefined;
}

/** UNSUBSCRIBE [MQTT-3.10]; MQTT 5 says 0x11 for a filter that had no subscription. */
export function handleUnsubscribe(connection: MqttConnection, packet: IUnsubscribePacket): void {
  const codes = packet.unsubscriptions.map((topic) => {
    connection.subscriptionOptions.delete(topic);
    return connection.subscriptions.delete(topic) ? ReasonCode.success : 0x11;
  });
  saveSession(connection);
  connection.ackChain = connection.ackChain.then(() =>
    connection.send(connection.protocolVersion === 5 ? { cmd: 'unsuback', messageId: packet.messageId ?? 0, granted: codes } : { cmd: 'unsuback', messageId: packet.messageId ?? 0, granted: [] }),
  );
}
