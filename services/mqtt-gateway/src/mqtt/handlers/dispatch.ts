import type { Packet } from 'mqtt-packet';
import type { OutboundFlight } from '../../commands/command-delivery.js';
import { ADMISSION_CODES } from '../../limits/limits.js';
import { saveSession } from '../../sessions/session-lifecycle.js';
import type { MqttConnection } from '../connection.js';
import { ReasonCode } from '../reason-codes.js';
import { handleConnect, sendConnackRefusal } from './connect.handler.js';
import { handlePublish, handlePubrel } from './publish.handler.js';
import { handleSubscribe, handleUnsubscribe } from './subscribe.handler.js';

/** The device completed an outbound flow; an ack for an unknown packet id is ignored. */
function acknowledged(connection: MqttConnection, flight: OutboundFlight | undefined): void {
  // Only command flows are part of the stored session; a retained message's ack changes nothing there.
  if (flight && flight.kind !== 'retained') saveSession(connection);
  if (flight?.kind !== 'command' || !connection.commands) return;
  connection.commands.delivered(flight).catch((error: unknown) => connection.logger.warn({ err: error }, 'could not record command delivery'));
}

/** Most MQTT 5 user properties one packet (or its will) may carry; more cost CPU for nothing (hardening §1.9, CVE-2021-41039). */
export const MAX_USER_PROPERTIES = 64;

function userPropertyCount(properties: { userProperties?: Record<string, string | string[]> } | undefined): number {
  let count = 0;
  for (const value of Object.values(properties?.userProperties ?? {})) count += Array.isArray(value) ? value.length : 1;
  return count;
}

/**
 * The name of a single-valued MQTT 5 property given more than once, if any (a Protocol Error, hardening
 * §1.9). mqtt-packet turns a repeated property into an array; only User Property, and Subscription
 * Identifier in a PUBLISH, may repeat.
 */
function repeatedProperty(cmd: Packet['cmd'], properties: object | undefined): string | undefined {
  for (const [name, value] of Object.entries(properties ?? {})) {
    if (name === 'userProperties' || (name === 'subscriptionIdentifier' && cmd === 'publish')) continue;
    if (Array.isArray(value)) return name;
  }
  return undefined;
}

/** Hands one packet to its handler; enforces the packet order rules of a session. */
export async function dispatch(connection: MqttConnection, packet: Packet): Promise<void> {
  if (connection.state === 'closed') return;
  const repeated = repeatedProperty(packet.cmd, (packet as { properties?: object }).properties) ?? (packet.cmd === 'connect' ? repeatedProperty('publish', packet.will?.properties) : undefined);
  if (repeated !== undefined) {
    connection.deps.metrics.rejections.inc({ reason: 'protocol-error' });
    if (packet.cmd === 'connect' && connection.state === 'awaiting-connect') {
      connection.protocolVersion = 5;
      sendConnackRefusal(connection, ReasonCode.protocolError, 0);
    }
    return connection.close('protocol-error', ReasonCode.protocolError, `property ${repeated} given more than once`);
  }
  const carried = userPropertyCount((packet as { properties?: never }).properties) + (packet.cmd === 'connect' ? userPropertyCount(packet.will?.properties) : 0);
  if (carried > MAX_USER_PROPERTIES) {
    connection.deps.metrics.rejections.inc({ reason: 'too-many-user-properties' });
    // Properties exist only in MQTT 5: a CONNECT is answered with its CONNACK form.
    if (packet.cmd === 'connect' && connection.state === 'awaiting-connect') {
      connection.protocolVersion = 5;
      sendConnackRefusal(connection, ReasonCode.implementationSpecificError, 0);
    }
    return connection.close('limit-exceeded', ReasonCode.implementationSpecificError, `more than ${MAX_USER_PROPERTIES} user properties`);
  }
  if (packet.cmd === 'connect') {
    // [MQTT-3.1.0-2] a second CONNECT is a protocol violation.
    if (connection.state !== 'awaiting-connect') return connection.close('protocol-error', ReasonCode.protocolError, 'second CONNECT');
    const refusal = connection.deps.quotas.admit(connection.socket.remoteAddress);
    if (refusal) {
      connection.protocolVersion = packet.protocolVersion ?? 4;
      const codes = ADMISSION_CODES[refusal];
      connection.deps.metrics.rejections.inc({ reason: refusal });
      sendConnackRefusal(connection, codes.v5, codes.v3);
      return connection.close('limit-exceeded', undefined, refusal);
    }
    return handleConnect(connection, packet);
  }
  // [MQTT-3.1.0-1] the first packet must be CONNECT.
  if (connection.state !== 'connected') return connection.close('protocol-error', ReasonCode.protocolError, `${packet.cmd} before CONNECT`);
  switch (packet.cmd) {
    case 'publish':
      return handlePublish(connection, packet);
    case 'pubrel':
      return handlePubrel(connection, packet);
    case 'subscribe':
      return handleSubscribe(connection, packet);
    case 'unsubscribe':
      return handleUnsubscribe(connection, packet);
    case 'pingreq':
      return connection.send({ cmd: 'pingresp' });
    case 'disconnect': {
      // MQTT 5 lets the client change the session's expiry as it leaves, except from 0 [MQTT-3.14.2-2].
      const expiry = packet.properties?.sessionExpiryInterval;
      if (expiry !== undefined && connection.session) {
        if (connection.session.expirySeconds === 0 && expiry > 0) return connection.close('protocol-error', ReasonCode.protocolError, 'session expiry set at DISCONNECT');
        connection.session.expirySeconds = Math.min(expiry, connection.deps.sessions.maxExpirySeconds);
      }
      // MQTT 5 reason 0x04 asks the server to publish the will all the same [MQTT-3.14.4-3].
      return connection.close(packet.reasonCode === 0x04 ? 'socket-error' : 'client-disconnect');
    }
    case 'puback':
      return acknowledged(connection, connection.outbound.acknowledge(packet.messageId ?? 0));
    case 'pubrec': {
      const id = packet.messageId ?? 0;
      const known = connection.outbound.received(id);
      // The release is remembered with the session, so a resumed session sends PUBREL, not the command again.
      if (known) saveSession(connection);
      // [MQTT-4.3.3-3] answer PUBREC with PUBREL; an unknown id gets 0x92 in MQTT 5.
      return connection.send({ cmd: 'pubrel', messageId: id, ...(connection.protocolVersion === 5 && !known ? { reasonCode: ReasonCode.packetIdentifierNotFound } : {}) });
    }
    case 'pubcomp':
      return acknowledged(connection, connection.outbound.complete(packet.messageId ?? 0));
    default:
      // CONNACK, SUBACK, UNSUBACK, PINGRESP are server-only; AUTH without an auth method is refused (hardening §1.8).
      connection.deps.metrics.rejections.inc({ reason: 'protocol-error' });
      return connection.close('protocol-error', ReasonCode.protocolError, `unexpected ${packet.cmd} from a client`);
  }
}
