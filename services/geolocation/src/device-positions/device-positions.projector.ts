import { projector } from '@flotilla/bus';
import { DevicePositionReported } from '@flotilla/contracts';
import { sql } from 'kysely';
import type { FixColumns, GeoTables } from './device-positions.table.js';

type Fix = FixColumns & { seq: number };

/** The arrays of an `unnest(...)` over fixes, column by column, in the order of `FIX_COLUMNS`. */
function unnested(fixes: readonly Fix[]) {
  const column = <T>(pick: (fix: Fix) => T) => fixes.map(pick);
  return sql`unnest(
    ${column((f) => f.tenant)}::text[], ${column((f) => f.device_id)}::text[], ${column((f) => f.lat)}::float8[], ${column((f) => f.lon)}::float8[],
    ${column((f) => f.accuracy)}::float8[], ${column((f) => f.altitude)}::float8[], ${column((f) => f.source)}::text[],
    ${column((f) => f.reported_at)}::timestamptz[], ${column((f) => f.received_at)}::timestamptz[], ${column((f) => f.seq)}::bigint[]
  )`;
}

const FIX_COLUMNS = sql`tenant, device_id, lat, lon, accuracy, altitude, source, reported_at, received_at`;

/** True when `a` is the newer fix: later in the device's own time, or as late and later in the stream. */
const newer = (a: Fix, b: Fix) => a.reported_at.getTime() > b.reported_at.getTime() || (a.reported_at.getTime() === b.reported_at.getTime() && a.seq > b.seq);

/**
 * Projects positions into the history (one row per event, idempotent on the stream sequence) and the
 * latest position, which only moves forward in the device's report time: an older fix arriving late
 * is kept in the history but never overwrites a newer one. A batch is written with two statements:
 * every fix into the history, and per device only its newest fix of the batch against the stored one.
 */
export const devicePositionsProjector = projector<GeoTables, [typeof DevicePositionReported]>({
  name: 'geolocation-device-positions',
  events: [DevicePositionReported],
  tables: ['device_positions', 'position_history'],
  async applyMany(trx, items) {
    const fixes: Fix[] = items.map(({ event, position }) => ({
      tenant: event.tenant,
      device_id: event.data.deviceId,
      lat: event.data.lat,
      lon: event.data.lon,
      accuracy: event.data.accuracy,
      altitude: event.data.altitude,
      source: event.data.source,
      reported_at: event.data.reportedAt,
      received_at: event.occurredAt,
      seq: position.seq,
    }));
    await sql`INSERT INTO position_history (${FIX_COLUMNS}, seq) SELECT * FROM ${unnested(fixes)} ON CONFLICT (seq) DO NOTHING`.execute(trx);
    const latest = new Map<string, Fix>();
    for (const fix of fixes) {
      const key = `${fix.tenant}\u0000${fix.device_id}`;
      const current = latest.get(key);
      if (!current || newer(fix, current)) latest.set(key, fix);
    }
    await sql`
      INSERT INTO device_positions (${FIX_COLUMNS}, last_seq) SELECT * FROM ${unnested([...latest.values()])}
      ON CONFLICT (tenant, device_id) DO UPDATE SET
        lat = excluded.lat, lon = excluded.lon, accuracy = excluded.accuracy, altitude = excluded.altitude, source = excluded.source,
        reported_at = excluded.reported_at, received_at = excluded.received_at, last_seq = excluded.last_seq
      WHERE device_positions.reported_at < excluded.reported_at
         OR (device_positions.reported_at = excluded.reported_at AND device_positions.last_seq < excluded.last_seq)
    `.execute(trx);
  },
});
