import type { IPublishPacket } from 'mqtt-packet';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

/** MQTT 5 properties an application message carries from publisher to subscribers [MQTT-3.3.2-3.3.2.3]. */
export interface ForwardedProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Record<string, string | string[]>;
}

/** An application message as it travels on NATS between replicas. */
export interface AppMessage {
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Client id of the publisher, for MQTT 5 No Local [MQTT-3.8.3-3]. */
  publisher: string;
  properties: ForwardedProperties;
}

const QOS = 'Mqtt-Qos';
const RETAIN = 'Mqtt-Retain';
const PUBLISHER = 'Mqtt-Publisher';
const PROPERTIES = 'Mqtt-Properties';

/** The properties of a PUBLISH that travel with the message (topic alias and subscription ids do not). */
export function forwardedProperties(properties: IPublishPacket['properties']): ForwardedProperties {
  if (!properties) return {};
  const { payloadFormatIndicator, messageExpiryInterval, contentType, responseTopic, correlationData, userProperties } = properties;
  return Object.fromEntries(
    Object.entries({ payloadFormatIndicator, messageExpiryInterval, contentType, responseTopic, correlationData, userProperties }).filter(([, value]) => value !== undefined),
  ) as ForwardedProperties;
}

/** Properties as JSON (correlation data in base64), for headers and retained records. */
export function propertiesToJson(properties: ForwardedProperties): Record<string, unknown> {
  const { correlationData, ...rest } = properties;
  return { ...rest, ...(correlationData ? { correlationData: correlationData.toString('base64') } : {}) };
}

/** Inverse of {@link propertiesToJson}; anything unreadable is dropped. */
export function propertiesFromJson(json: unknown): ForwardedProperties {
  if (typeof json !== 'object' || json === null) return {};
  const parsed = json as ForwardedProperties & { correlationData?: unknown };
  const { correlationData, ...rest } = parsed;
  return { ...rest, ...(typeof correlationData === 'string' ? { correlationData: Buffer.from(correlationData, 'base64') } : {}) };
}

/** NATS headers of an application message. */
export function encodeAppMessage(message: AppMessage): MsgHdrs {
  const h = natsHeaders();
  h.set(QOS, String(message.qos));
  if (message.retain) h.set(RETAIN, '1');
  h.set(PUBLISHER, Buffer.from(message.publisher, 'utf8').toString('base64url'));
  const props = propertiesToJson(message.properties);
  if (Object.keys(props).length > 0) h.set(PROPERTIES, JSON.stringify(props));
  return h;
}

/** Reads the headers written by {@link encodeAppMessage}; missing or unreadable ones fall back to QoS 0. */
export function decodeAppMessage(h: MsgHdrs | undefined): AppMessage {
  const qos = Number(h?.get(QOS) ?? '0');
  let properties: ForwardedProperties = {};
  const raw = h?.get(PROPERTIES);
  if (raw) {
    try {
      properties = propertiesFromJson(JSON.parse(raw));
    } catch {
      properties = {};
    }
  }
  return {
    qos: qos === 1 || qos === 2 ? qos : 0,
    retain: h?.get(RETAIN) === '1',
    publisher: Buffer.from(h?.get(PUBLISHER) ?? '', 'base64url').toString('utf8'),
    properties,
  };
}
