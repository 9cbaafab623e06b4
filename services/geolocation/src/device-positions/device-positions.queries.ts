import type { Kysely } from 'kysely';
import type { DevicePositionRow, GeoDatabase, PositionHistoryRow } from './device-positions.table.js';

/** The latest position of a device of `tenant`, or undefined. */
export function latestPosition(db: Kysely<GeoDatabase>, tenant: string, deviceId: string): Promise<DevicePositionRow | undefined> {
  return db.selectFrom('device_positions').selectAll().where('tenant', '=', tenant).where('device_id', '=', deviceId).executeTakeFirst();
}

/** A device's fixes in `[from, to]` by report time, newest first. */
export function positionHistory(
  db: Kysely<GeoDatabase>,
  tenant: string,
  deviceId: string,
  range: { from?: Date | undefined; to?: Date | undefined; limit: number },
): Promise<PositionHistoryRow[]> {
  let query = db.selectFrom('position_history').selectAll().where('tenant', '=', tenant).where('device_id', '=', deviceId);
  if (range.from) query = query.where('reported_at', '>=', range.from);
  if (range.to) query = query.where('reported_at', '<=', range.to);
  return query.orderBy('reported_at', 'desc').orderBy('seq', 'desc').limit(range.limit).execute();
}
