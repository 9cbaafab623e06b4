import type { Identity } from '../auth/authenticator.js';
import type { DeviceMessage, DialectRouter, PublishOutcome } from '../mqtt/dialect-router.js';
import { renderFlyveCommand } from './flyve-commands.js';
import { parseFlyveAgentTopic } from './flyve-topic.js';
import { handleFlyveStatus, type FlyveStatusContext } from './status.handler.js';

function ownsTopic(identity: Identity, topic: string): ReturnType<typeof parseFlyveAgentTopic> {
  const parsed = parseFlyveAgentTopic(topic);
  return parsed && parsed.tenant === identity.tenant && parsed.serial === identity.deviceId ? parsed : undefined;
}

/**
 * The Flyve dialect (flyve-mdm.md §A.1): a device publishes only under its own `Status/`, and
 * subscribes only to its own `Command/` and `Policy/` trees and the manifest.
 */
export function flyveRouter(context: FlyveStatusContext): DialectRouter {
  return {
    maySubscribe(identity, filter) {
      const normalized = filter.startsWith('/') ? filter.slice(1) : filter;
      if (normalized === 'FlyvemdmManifest/#' || /^FlyvemdmManifest\/Status\/[^+#]+$/.test(normalized)) return true;
      // Its fleet's policy groups (flyve-mdm.md §A.1), once inventory has placed it in a fleet.
      const fleet = identity.fleet === null ? undefined : `${identity.tenant}/fleet/${identity.fleet}/`;
      if (fleet && normalized.startsWith(fleet) && /^(#|[^/+#]+(\/[^/+#]+)*(\/#)?)$/.test(normalized.slice(fleet.length))) return true;
      const own = `${identity.tenant}/agent/${identity.deviceId}/`;
      if (!normalized.startsWith(own)) return false;
      // Its own Command/ and Policy/ trees, exact or ending in '#'; a '+' could not widen it, but is not
      // needed. Real agents subscribe to their whole tree `<agentTopic>/#` (§B.2): granted, since that
      // tree holds only their own messages and every delivery is checked against these rules again.
      const below = normalized.slice(own.length);
      return below === '#' || /^(Command|Policy)(\/#|(\/[^/+#]+)+(\/#)?)?$/.test(below);
    },

    renderCommand: (identity, command) => renderFlyveCommand(identity.tenant, identity.deviceId, command),

    mayPublish(identity, topic) {
      return ownsTopic(identity, topic)?.direction === 'Status';
    },

    async publish(identity, message: DeviceMessage): Promise<PublishOutcome> {
      const topic = ownsTopic(identity, message.topic);
      if (!topic || topic.direction !== 'Status') return { kind: 'refused', code: 'not-authorized', reason: `${identity.deviceId} may not publish to ${message.topic}` };
      return handleFlyveStatus(context, identity, topic, message);
    },
  };
}
