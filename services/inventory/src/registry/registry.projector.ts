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
import { sql } from 'kysely';
import type { InventoryTables } from '../context.js';
import { newDeviceRow, reduceDevice, type RegistryEvent } from './registry.reducer.js';
import type { DeviceRow } from './registry.table.js';

const key = (tenant: string, deviceId: string) => `${tenant}\u0000${deviceId}`;

/** The columns of `devices`, in the order the upsert passes them. */
const COLUMNS = [
  'tenant',
  'device_id',
  'dialect',
  'serial',
  'name',
  'type',
  'agent_version',
  'email',
  'fleet',
  'topic',
  'invitation_id',
  'enrollment_status',
  'enrolled_at',
  'unenroll_requested_at',
  'unenrolled_at',
  'online',
  'presence_at',
  'presence_seq',
  'last_seen_at',
  'last_seq',
] as const satisfies readonly (keyof DeviceRow)[];

/**
 * The registry: who each device is, where it is in its enrollment, whether it is online and when it was
 * last seen. A batch reads the rows of the devices it touches once, folds the events into them with
 * {@link reduceDevice} and writes each row once.
 */
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
  async applyMany(trx, items) {
    const wanted = new Map<string, { tenant: string; deviceId: string }>();
    for (const { event } of items) wanted.set(key(event.tenant, event.data.deviceId), { tenant: event.tenant, deviceId: event.data.deviceId });
    const pairs = [...wanted.values()];
    // Two array parameters, whatever the batch size: cheap to plan, one index probe per device.
    const { rows: existing } = await sql<DeviceRow>`SELECT d.* FROM devices d JOIN unnest(${pairs.map((p) => p.tenant)}::text[], ${pairs.map((p) => p.deviceId)}::text[]) AS k(tenant, device_id) ON d.tenant = k.tenant AND d.device_id = k.device_id`.execute(trx);
    const rows = new Map<string, DeviceRow>(existing.map((row) => [key(row.tenant, row.device_id), { ...row, last_seq: Number(row.last_seq), presence_seq: row.presence_seq === null ? null : Number(row.presence_seq) }]));
    const changed = new Set<string>();
    for (const { event, position } of items) {
      const k = key(event.tenant, event.data.deviceId);
      const before = rows.get(k) ?? newDeviceRow(event.tenant, event.data.deviceId);
      const after = reduceDevice(before, event as RegistryEvent, position.seq);
      if (after !== before) {
        rows.set(k, after);
        changed.add(k);
      }
    }
    if (changed.size === 0) return;
    const values = [...changed].map((k) => rows.get(k)!);
    // One array per column (unnest) rather than a VALUES list: the statement stays the same size and
    // cheap to plan whatever the batch size.
    const column = <T>(pick: (row: DeviceRow) => T) => values.map(pick);
    await sql`
      INSERT INTO devices (${sql.join(COLUMNS.map((c) => sql.ref(c)))})
      SELECT * FROM unnest(
        ${column((r) => r.tenant)}::text[], ${column((r) => r.device_id)}::text[], ${column((r) => r.dialect)}::text[], ${column((r) => r.serial)}::text[],
        ${column((r) => r.name)}::text[], ${column((r) => r.type)}::text[], ${column((r) => r.agent_version)}::text[], ${column((r) => r.email)}::text[],
        ${column((r) => r.fleet)}::text[], ${column((r) => r.topic)}::text[], ${column((r) => r.invitation_id)}::text[], ${column((r) => r.enrollment_status)}::text[],
        ${column((r) => r.enrolled_at)}::timestamptz[], ${column((r) => r.unenroll_requested_at)}::timestamptz[], ${column((r) => r.unenrolled_at)}::timestamptz[],
        ${column((r) => r.online)}::boolean[], ${column((r) => r.presence_at)}::timestamptz[], ${column((r) => r.presence_seq)}::bigint[],
        ${column((r) => r.last_seen_at)}::timestamptz[], ${column((r) => r.last_seq)}::bigint[]
      )
      ON CONFLICT (tenant, device_id) DO UPDATE SET ${sql.join(COLUMNS.slice(2).map((c) => sql`${sql.ref(c)} = ${sql.ref(`excluded.${c}`)}`))}
    `.execute(trx);
  },
});
