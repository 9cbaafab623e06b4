import { projector } from '@flotilla/bus';
import {
  DeviceConnected,
  DeviceDisconnected,
  DeviceEnrolled,
  DeviceInventoryReported,
  DeviceOnlineReported,
  DevicePinged,
  DeviceTaskStatusReported,
  DeviceUnenrolled,
  DeviceUnenrollRequested,
} from '@flotilla/contracts';
import type { CheckpointTables } from '@flotilla/db';
import { sql, type Transaction } from 'kysely';
import type { InventoryTables } from '../context.js';
import type { DevicesTable } from './registry.table.js';

type Trx = Transaction<InventoryTables & CheckpointTables>;
type Changes = Partial<Omit<DevicesTable, 'tenant' | 'device_id' | 'last_seq'>>;

/**
 * Upserts one device's row. Events of one device arrive in stream order, so `last_seq` makes a
 * redelivered event a no-op; `seen` moves `last_seen_at` forward only.
 */
async function upsert(trx: Trx, tenant: string, deviceId: string, seq: number, changes: Changes, seen: Date | null): Promise<void> {
  const insert = { tenant, device_id: deviceId, enrollment_status: 'unregistered' as const, online: false, last_seq: seq, last_seen_at: seen, ...changes };
  await trx
    .insertInto('devices')
    .values(insert)
    .onConflict((oc) =>
      oc
        .columns(['tenant', 'device_id'])
        .doUpdateSet({
          ...changes,
          last_seq: seq,
          last_seen_at: seen === null ? sql`devices.last_seen_at` : sql`greatest(devices.last_seen_at, ${seen})`,
        })
        .where('devices.last_seq', '<', seq),
    )
    .execute();
}

/** Presence moves only forward in the gateway's own time, so a late disconnect never hides a newer connection. */
async function presence(trx: Trx, tenant: string, deviceId: string, seq: number, online: boolean, at: Date, dialect: string): Promise<void> {
  await upsert(trx, tenant, deviceId, seq, {}, at);
  await trx
    .updateTable('devices')
    .set({ online, presence_at: at, presence_seq: seq, dialect: sql`coalesce(devices.dialect, ${dialect})` })
    .where('tenant', '=', tenant)
    .where('device_id', '=', deviceId)
    .where((eb) => eb.or([eb('presence_at', 'is', null), eb('presence_at', '<', at), eb.and([eb('presence_at', '=', at), eb('presence_seq', '<', seq)])]))
    .execute();
}

/** The registry: who each device is, where it is in its enrollment, whether it is online and when it was last seen. */
export const registryProjector = projector<InventoryTables, [
  typeof DeviceEnrolled,
  typeof DeviceUnenrollRequested,
  typeof DeviceUnenrolled,
  typeof DeviceConnected,
  typeof DeviceDisconnected,
  typeof DevicePinged,
  typeof DeviceOnlineReported,
  typeof DeviceInventoryReported,
  typeof DeviceTaskStatusReported,
]>({
  name: 'inventory-registry',
  events: [DeviceEnrolled, DeviceUnenrollRequested, DeviceUnenrolled, DeviceConnected, DeviceDisconnected, DevicePinged, DeviceOnlineReported, DeviceInventoryReported, DeviceTaskStatusReported],
  tables: ['devices'],
  async apply(trx, event, { seq }) {
    const { tenant } = event;
    switch (event.type) {
      case 'DeviceEnrolled': {
        const d = event.data;
        return upsert(
          trx,
          tenant,
          d.deviceId,
          seq,
          {
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
          },
          null,
        );
      }
      case 'DeviceUnenrollRequested':
        return upsert(trx, tenant, event.data.deviceId, seq, { enrollment_status: 'unenrolling', unenroll_requested_at: event.occurredAt }, null);
      case 'DeviceUnenrolled':
        return upsert(trx, tenant, event.data.deviceId, seq, { enrollment_status: 'unenrolled', unenrolled_at: event.occurredAt }, null);
      case 'DeviceConnected':
        return presence(trx, tenant, event.data.deviceId, seq, true, event.data.connectedAt, event.data.dialect);
      case 'DeviceDisconnected':
        return presence(trx, tenant, event.data.deviceId, seq, false, event.data.disconnectedAt, event.data.dialect);
      default:
        return upsert(trx, tenant, event.data.deviceId, seq, {}, event.data.receivedAt);
    }
  },
});
