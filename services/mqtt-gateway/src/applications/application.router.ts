import type { Bus } from '@flotilla/bus';
import { appTopicSubject, DEVICE_EVENTS_TOPIC_ROOT, retainedKey, type RetainedMessage } from '@flotilla/contracts';
import type { KV } from '@nats-io/kv';
import type { ApplicationGrant, Identity } from '../auth/authenticator.js';
import type { DeviceMessage, DialectRouter, PublishOutcome } from '../mqtt/dialect-router.js';
import { encodeAppMessage, propertiesToJson } from './app-message.js';
import { filterAllowed, topicAllowed } from './topic-filters.js';

/** Longest NATS subject an application topic may become (NATS' control line is 4 KiB). */
export const MAX_APP_SUBJECT_LENGTH = 2_048;

/** Topics no client may publish to: the platform's own tree and the broker's system tree. */
const RESERVED = [`${DEVICE_EVENTS_TOPIC_ROOT.split('/')[0]}/`, '$SYS/'];
const reserved = (topic: string) => RESERVED.some((prefix) => topic.startsWith(prefix) || topic === prefix.slice(0, -1));

/** Whether `grant` lets its application receive messages on `topic` (checked at every delivery). */
export function mayReceive(grant: ApplicationGrant, topic: string): boolean {
  return grant.unrestricted === true || topicAllowed(grant.subscribe, topic);
}

/** KV key of an application's retained message: its tenant's tree, apart from the devices' retained state. */
export const appRetainedKey = (tenant: string, topic: string) => retainedKey(`${tenant}/${topic}`);

/**
 * Applications' topic rules and their broker: a PUBLISH allowed by the application's rules goes to the
 * `MQTT_APPS` stream on `mqtt.app.<tenant>.<escaped levels>` (acknowledged to the client after the
 * stream stored it), and a retained one also replaces the topic's entry in the `app-retained` bucket
 * (an empty payload removes it [MQTT-3.3.1-10]). Subscribers on every replica read the stream.
 */
export function applicationRouter(bus: Bus, retained: KV): DialectRouter {
  const { js, nc } = bus.connection;
  return {
    maySubscribe(identity, filter) {
      const grant = identity.application!;
      return grant.unrestricted === true || filterAllowed(grant.subscribe, filter);
    },
    mayPublish(identity, topic) {
      const grant = identity.application!;
      return !reserved(topic) && (grant.unrestricted === true || topicAllowed(grant.publish, topic));
    },
    renderCommand: () => undefined,
    async publish(identity: Identity, message: DeviceMessage): Promise<PublishOutcome> {
      if (!this.mayPublish(identity, message.topic)) return { kind: 'refused', code: 'not-authorized', reason: `application ${identity.deviceId} may not publish to ${message.topic}` };
      const subject = bus.names.subject(appTopicSubject(identity.tenant, message.topic));
      if (subject.length > MAX_APP_SUBJECT_LENGTH) return { kind: 'refused', code: 'topic-invalid', reason: `topic of ${message.topic.length} characters is too long` };
      if (message.retain) {
        const key = appRetainedKey(identity.tenant, message.topic);
        if (message.payload.length === 0) await retained.delete(key);
        else {
          const record: RetainedMessage = { version: 1, topic: message.topic, payload: message.payload.toString('base64'), qos: message.qos, updatedAt: new Date(), properties: propertiesToJson(message.properties ?? {}) };
          await retained.put(key, JSON.stringify(record));
        }
      }
      const headers = encodeAppMessage({ qos: message.qos, retain: message.retain, publisher: message.clientId ?? '', properties: message.properties ?? {} });
      // QoS 0 is sent without waiting for the stream; QoS 1/2 are acknowledged once stored.
      if (message.qos === 0) nc.publish(subject, message.payload, { headers });
      else await js.publish(subject, message.payload, { headers });
      return { kind: 'stored' };
    },
  };
}
