import { sql, type Kysely } from 'kysely';
import type { InventoryDatabase } from '../context.js';
import type { DeviceRow, EnrollmentStatus } from './registry.table.js';

/** Columns a device list can be sorted by. */
export const SORTS = { serial: 'serial', name: 'name', lastSeenAt: 'last_seen_at', enrolledAt: 'enrolled_at' } as const;
/** One of {@link SORTS}. */
export type DeviceSort = keyof typeof SORTS;

/** Filters, search, sorting and position of a device list. */
export interface DeviceListQuery {
  status?: EnrollmentStatus;
  online?: boolean;
  fleet?: string;
  dialect?: string;
  /** Case-insensitive substring of serial, name, e-mail or device id. */
  q?: string;
  sort: DeviceSort;
  order: 'asc' | 'desc';
  limit: number;
  /** Where the previous page ended: its last row's sort value and device id. */
  after?: { value: string; deviceId: string };
}

/** The expression a list sorts on; nulls sort as '' / the epoch so the keyset stays total. */
function sortKey(sort: DeviceSort) {
  switch (sort) {
    case 'serial':
      return sql<string>`coalesce(serial, '')`;
    case 'name':
      return sql<string>`coalesce(name, '')`;
    case 'lastSeenAt':
      return sql<string>`coalesce(last_seen_at, 'epoch'::timestamptz)`;
    case 'enrolledAt':
      return sql<string>`coalesce(enrolled_at, 'epoch'::timestamptz)`;
  }
}

/** The cursor value of a row for `sort`. */
export function sortValue(row: DeviceRow, sort: DeviceSort): string {
  const value = row[SORTS[sort]];
  if (value instanceof Date) return value.toISOString();
  if (value === null && (sort === 'lastSeenAt' || sort === 'enrolledAt')) return new Date(0).toISOString();
  return value ?? '';
}

/** One page of a tenant's devices (one more row than `limit` tells whether another page follows). */
export async function listDevices(db: Kysely<InventoryDatabase>, tenant: string, query: DeviceListQuery): Promise<DeviceRow[]> {
  const key = sortKey(query.sort);
  const isTime = query.sort === 'lastSeenAt' || query.sort === 'enrolledAt';
  let select = db.selectFrom('devices').selectAll().where('tenant', '=', tenant);
  if (query.status) select = select.where('enrollment_status', '=', query.status);
  if (query.online !== undefined) select = select.where('online', '=', query.online);
  if (query.fleet) select = select.where('fleet', '=', query.fleet);
  if (query.dialect) select = select.where('dialect', '=', query.dialect);
  if (query.q) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    select = select.where((eb) => eb.or([eb('serial', 'ilike', pattern), eb('name', 'ilike', pattern), eb('email', 'ilike', pattern), eb('device_id', 'ilike', pattern)]));
  }
  if (query.after) {
    const value = isTime ? sql`${query.after.value}::timestamptz` : sql`${query.after.value}`;
    const comparison = query.order === 'asc' ? sql<boolean>`(${key}, device_id) > (${value}, ${query.after.deviceId})` : sql<boolean>`(${key}, device_id) < (${value}, ${query.after.deviceId})`;
    select = select.where(comparison);
  }
  return select
    .orderBy(key, query.order)
    .orderBy('device_id', query.order)
    .limit(query.limit + 1)
    .execute();
}

/** One device of a tenant, or undefined (also for another tenant's device). */
export function findDevice(db: Kysely<InventoryDatabase>, tenant: string, deviceId: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('devices').selectAll().where('tenant', '=', tenant).where('device_id', '=', deviceId).executeTakeFirst();
}
