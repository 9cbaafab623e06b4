import type { RetainedMessage } from '@flotilla/contracts';
import { propertiesFromJson } from '../applications/app-message.js';
import type { MqttConnection } from '../mqtt/connection.js';
import { grantedQos, topicMatches } from '../mqtt/topic-rules.js';

/**
 * Sends `message` to `connection` at the lower of its QoS and `grantedQos`, if the device may receive
 * its topic now (rules are checked at delivery, not only at SUBSCRIBE: hardening §3.4). A QoS 1/2
 * message with no free packet id goes out at QoS 0.
 */
export function sendRetained(connection: MqttConnection, message: RetainedMessage, grantedQos: number, retain: boolean): void {
  const identity = connection.identity;
  if (!identity || connection.state !== 'connected' || !connection.deps.routerFor(identity).maySubscribe(identity, message.topic)) return;
  let qos = Math.min(message.qos, grantedQos) as 0 | 1 | 2;
  const messageId = qos === 0 ? undefined : connection.outbound.open(qos, { kind: 'retained', topic: message.topic });
  if (messageId === undefined) qos = 0;
  const properties = message.properties && connection.protocolVersion === 5 ? { properties: propertiesFromJson(message.properties) } : {};
  connection.send({ cmd: 'publish', topic: message.topic, payload: Buffer.from(message.payload, 'base64'), qos, retain, dup: false, ...(messageId === undefined ? {} : { messageId }), ...properties });
  connection.deps.metrics.messagesOut.inc({ qos: String(qos) });
}

/** Retained messages for a new subscription, flagged retained [MQTT-3.3.1-8]. */
export async function deliverRetainedOnSubscribe(connection: MqttConnection, filter: string, grantedQos: number): Promise<void> {
  const identity = connection.identity;
  // An application's retained messages live under its tenant, apart from the devices' desired state.
  const messages = identity?.application
    ? (await connection.deps.appRetained.matching(`${identity.tenant}/${filter}`)).filter((message) => topicMatches(filter, message.topic))
    : await connection.deps.retained.matching(filter);
  for (const message of messages) sendRetained(connection, message, grantedQos, true);
}

/** A retained message changed: connected subscribers get it as a live message (retain flag 0, [MQTT-3.3.1-9]). */
export function forwardRetainedChange(connections: Iterable<MqttConnection>, message: RetainedMessage): void {
  for (const connection of connections) {
    const granted = grantedQos(connection.subscriptions, message.topic);
    if (granted >= 0) sendRetained(connection, message, granted, false);
  }
}
