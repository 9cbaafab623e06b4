import type { Bus } from '@flotilla/bus';
import { DeviceInstallAcknowledged, DeviceInventoryReported, DeviceLocationUnavailable, DeviceOnlineReported, DevicePinged, DevicePositionReported, DeviceTaskStatusReported, DeviceUnenrollReported } from '@flotilla/contracts';
import { createHash } from 'node:crypto';
import type { Identity } from '../auth/authenticator.js';
import type { DeviceMessage, PublishOutcome } from '../mqtt/dialect-router.js';
import type { FlyveAgentTopic } from './flyve-topic.js';
import { readGeolocation } from './geolocation.handler.js';
import { readInstall, readInventory, readOnline, readPing, readTaskStatuses, readUnenroll, type Reading } from './status-readers.js';

/** What the Flyve dialect needs to know beyond the message. */
export interface FlyveStatusContext {
  bus: Bus;
  /** The connection that holds a device now, if known: a Last Will of an older one is stale. */
  holder(tenant: string, deviceId: string): string | undefined;
}

const refused = (reading: Extract<Reading<unknown>, { kind: 'invalid' }>): PublishOutcome => ({ kind: 'refused', code: 'payload-invalid', reason: reading.reason });

/** Stores what a valid reading says; an invalid one is refused with its reason. */
async function storeIf<T>(reading: Reading<T>, store: (value: T) => Promise<unknown>): Promise<PublishOutcome> {
  if (reading.kind === 'invalid') return refused(reading);
  await store(reading.value);
  return { kind: 'stored' };
}

/** Stable id of a position: a resend of the same fix (QoS 1 redelivery) is stored once. */
function positionId(identity: Identity, payload: Buffer): string {
  return `flyve:${identity.tenant}:${identity.deviceId}:Geolocation:${createHash('sha256').update(payload).digest('hex').slice(0, 32)}`;
}

/**
 * Every `Status/*` message of a Flyve agent (flyve-mdm.md §A.1, §B.2) as a validated domain event: Ping,
 * Geolocation (with or without a fix), Online (device and Last Will), Task (both forms), Inventory,
 * Unenroll and the legacy Install ack. Malformed payloads are refused with the reason.
 */
export async function handleFlyveStatus(context: FlyveStatusContext, identity: Identity, topic: FlyveAgentTopic, message: DeviceMessage): Promise<PublishOutcome> {
  const { bus } = context;
  const { tenant, deviceId } = identity;
  const base = { tenant, subjectId: deviceId };
  const receivedAt = new Date();
  const single = topic.rest.length === 0;
  switch (topic.name) {
    case 'Ping':
      if (!single) break;
      return storeIf(readPing(message.payload), () => bus.publish(DevicePinged, { ...base, data: { deviceId, receivedAt } }));
    case 'Geolocation': {
      if (!single) break;
      // A bare `?` means "no data" (agents of late 2018): ignored, as the original backend did (§B.5).
      if (message.payload.toString('utf8').trim() === '?') return { kind: 'ignored', reason: 'bare "?" geolocation (no data)' };
      const reading = readGeolocation(deviceId, message.payload);
      if (reading.kind === 'invalid') return { kind: 'refused', code: 'payload-invalid', reason: reading.reason };
      if (reading.kind === 'no-fix') await bus.publish(DeviceLocationUnavailable, { ...base, data: { deviceId, reportedAt: reading.reportedAt, reason: 'gps-off', source: 'flyve' }, id: positionId(identity, message.payload) });
      else await bus.publish(DevicePositionReported, { ...base, data: reading.data, id: positionId(identity, message.payload) });
      return { kind: 'stored' };
    }
    case 'Online': {
      if (!single) break;
      const reading = readOnline(message.payload);
      if (reading.kind === 'invalid') return refused(reading);
      const connectionId = message.connectionId ?? 'unknown';
      // A Last Will of a connection the device has already replaced is stale: it must not mark the
      // device offline (the agent's will is retained, §B.2, and a newer connection said online).
      const holder = context.holder(tenant, deviceId);
      if (message.lastWill && holder !== undefined && holder !== connectionId) return { kind: 'ignored', reason: `stale Last Will of connection ${connectionId}; ${holder} holds the device now` };
      await bus.publish(DeviceOnlineReported, {
        ...base,
        data: { deviceId, online: reading.value, lastWill: message.lastWill ?? false, retained: message.retain, connectionId, connectionStartedAt: new Date(message.connectedAt ?? 0), receivedAt },
      });
      return { kind: 'stored' };
    }
    case 'Task':
      return storeIf(readTaskStatuses(topic.rest, message.payload), async (reports) => {
        for (const { taskId, status } of reports) await bus.publish(DeviceTaskStatusReported, { ...base, data: { deviceId, taskId, status, receivedAt } });
      });
    case 'Inventory':
      if (!single) break;
      return storeIf(readInventory(message.payload), ({ document, inventoryDeviceId }) =>
        bus.publish(DeviceInventoryReported, { ...base, data: { deviceId, format: 'fusioninventory-xml', document, inventoryDeviceId, receivedAt } }),
      );
    case 'Unenroll':
      if (!single) break;
      return storeIf(readUnenroll(message.payload), () => bus.publish(DeviceUnenrollReported, { ...base, data: { deviceId, receivedAt } }));
    case 'Install':
      if (!single) break;
      return storeIf(readInstall(message.payload), (packageName) => bus.publish(DeviceInstallAcknowledged, { ...base, data: { deviceId, packageName, receivedAt } }));
  }
  return { kind: 'refused', code: 'topic-invalid', reason: `Status/${[topic.name, ...topic.rest].join('/')} is not a Flyve status topic` };
}
