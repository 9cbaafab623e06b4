import { createHash } from 'node:crypto';
import { DevicePositionReported } from '@flotilla/contracts';
import type { Bus } from '@flotilla/bus';
import type { Identity } from '../auth/authenticator.js';
import type { DeviceMessage, DialectRouter, PublishOutcome } from '../mqtt/dialect-router.js';
import { renderFlyveCommand } from './flyve-commands.js';
import { parseFlyveAgentTopic } from './flyve-topic.js';
import { readGeolocation } from './geolocation.handler.js';

/** Stable id of a device message: a resend of the same payload (QoS 1 redelivery) is stored once. */
function messageId(identity: Identity, name: string, payload: Buffer): string {
  const digest = createHash('sha256').update(payload).digest('hex').slice(0, 32);
  return `flyve:${identity.tenant}:${identity.deviceId}:${name}:${digest}`;
}

function ownsTopic(identity: Identity, topic: string): ReturnType<typeof parseFlyveAgentTopic> {
  const parsed = parseFlyveAgentTopic(topic);
  return parsed && parsed.tenant === identity.tenant && parsed.serial === identity.deviceId ? parsed : undefined;
}

/**
 * The Flyve dialect (flyve-mdm.md §A.1): a device publishes only under its own `Status/`, and
 * subscribes only to its own `Command/` and `Policy/` trees and the manifest.
 */
export function flyveRouter(bus: Bus): DialectRouter {
  return {
    maySubscribe(identity, filter) {
      const normalized = filter.startsWith('/') ? filter.slice(1) : filter;
      if (normalized === 'FlyvemdmManifest/#' || /^FlyvemdmManifest\/Status\/[^+#]+$/.test(normalized)) return true;
      // Its fleet's policy groups (flyve-mdm.md §A.1), once inventory has placed it in a fleet.
      const fleet = identity.fleet === null ? undefined : `${identity.tenant}/fleet/${identity.fleet}/`;
      if (fleet && normalized.startsWith(fleet) && /^(#|[^/+#]+(\/[^/+#]+)*(\/#)?)$/.test(normalized.slice(fleet.length))) return true;
      const own = `${identity.tenant}/agent/${identity.deviceId}/`;
      if (!normalized.startsWith(own)) return false;
      // Its own Command/ and Policy/ trees, exact or ending in '#'; a '+' could not widen it, but is not needed.
      return /^(Command|Policy)(\/#|(\/[^/+#]+)+(\/#)?)?$/.test(normalized.slice(own.length));
    },

    renderCommand: (identity, command) => renderFlyveCommand(identity.tenant, identity.deviceId, command),

    mayPublish(identity, topic) {
      return ownsTopic(identity, topic)?.direction === 'Status';
    },

    async publish(identity, message: DeviceMessage): Promise<PublishOutcome> {
      const topic = ownsTopic(identity, message.topic);
      if (!topic || topic.direction !== 'Status') return { kind: 'refused', code: 'not-authorized', reason: `${identity.deviceId} may not publish to ${message.topic}` };
      if (topic.name === 'Geolocation' && topic.rest.length === 0) {
        if (message.payload.toString('utf8').trim() === '?') return { kind: 'ignored', reason: 'bare "?" geolocation (no fix requested)' };
        const reading = readGeolocation(identity.deviceId, message.payload);
        if (reading.kind === 'invalid') return { kind: 'refused', code: 'payload-invalid', reason: reading.reason };
        await bus.publish(DevicePositionReported, { tenant: identity.tenant, subjectId: identity.deviceId, data: reading.data, id: messageId(identity, topic.name, message.payload) });
        return { kind: 'stored' };
      }
      return { kind: 'refused', code: 'topic-invalid', reason: `Status/${[topic.name, ...topic.rest].join('/')} is not handled by this gateway version` };
    },
  };
}
