import type { DeviceConnected, DeviceDisconnected, DeviceEnrolled, DeviceInventoryReported, DeviceOnlineReported, DevicePinged, DeviceTaskStatusReported, DeviceUnenrolled, DeviceUnenrollRequested } from '@flotilla/contracts';
import type { DeviceRow } from './registry.table.js';

/** The events the registry follows. */
export type RegistryEvent =
  | DeviceEnrolled
  | DeviceUnenrollRequested
  | DeviceUnenrolled
  | DeviceConnected
  | DeviceDisconnected
  | DevicePinged
  | DeviceOnlineReported
  | DeviceInventoryReported
  | DeviceTaskStatusReported;

/** A registry row for a device seen for the first time. */
export function newDeviceRow(tenant: string, deviceId: string): DeviceRow {
  return {
    tenant,
    device_id: deviceId,
    dialect: null,
    serial: null,
    name: null,
    type: null,
    agent_version: null,
    email: null,
    fleet: null,
    topic: null,
    invitation_id: null,
    enrollment_status: 'unregistered',
    enrolled_at: null,
    unenroll_requested_at: null,
    unenrolled_at: null,
    online: false,
    presence_at: null,
    presence_seq: null,
    last_seen_at: null,
    last_seq: 0,
  };
}

const later = (a: Date | null, b: Date) => (a === null || b.getTime() > a.getTime() ? b : a);

/**
 * One device's registry row after one event (pure). Presence moves only forward in the gateway's own
 * time, so a late disconnect never hides a newer connection; `last_seen_at` only moves forward.
 */
export function reduceDevice(row: DeviceRow, event: RegistryEvent, seq: number): DeviceRow {
  if (seq <= row.last_seq) return row;
  const next: DeviceRow = { ...row, last_seq: seq };
  switch (event.type) {
    case 'DeviceEnrolled': {
      const d = event.data;
      return {
        ...next,
        dialect: d.dialect,
        serial: d.serial,
        name: d.name,
        type: d.type,
        agent_version: d.agentVersion,
        email: d.email,
        fleet: d.fleet,
        topic: d.topic,
        invitation_id: d.invitationId,
        enrollment_status: 'enrolled',
        enrolled_at: event.occurredAt,
        unenroll_requested_at: null,
        unenrolled_at: null,
      };
    }
    case 'DeviceUnenrollRequested':
      return { ...next, enrollment_status: 'unenrolling', unenroll_requested_at: event.occurredAt };
    case 'DeviceUnenrolled':
      return { ...next, enrollment_status: 'unenrolled', unenrolled_at: event.occurredAt };
    case 'DeviceConnected':
    case 'DeviceDisconnected': {
      const at = event.type === 'DeviceConnected' ? event.data.connectedAt : event.data.disconnectedAt;
      const seen = { ...next, dialect: next.dialect ?? event.data.dialect, last_seen_at: later(next.last_seen_at, at) };
      const newer = next.presence_at === null || at.getTime() > next.presence_at.getTime() || (at.getTime() === next.presence_at.getTime() && seq > (next.presence_seq ?? 0));
      return newer ? { ...seen, online: event.type === 'DeviceConnected', presence_at: at, presence_seq: seq } : seen;
    }
    default:
      return { ...next, last_seen_at: later(next.last_seen_at, event.data.receivedAt) };
  }
}
