import { projector } from '@flotilla/bus';
import { DevicePositionReported } from '@flotilla/contracts';
import type { GeoTables } from './device-positions.table.js';

/**
 * Projects positions into the history (one row per event, idempotent on the stream sequence) and the
 * latest position, which only moves forward in the device's report time: an older fix arriving late
 * is kept in the history but never overwrites a newer one.
 */
export const devicePositionsProjector = projector<GeoTables, [typeof DevicePositionReported]>({
  name: 'geolocation-device-positions',
  events: [DevicePositionReported],
  tables: ['device_positions', 'position_history'],
  async apply(trx, event, { seq }) {
    const { data } = event;
    const fix = {
      tenant: event.tenant,
      device_id: data.deviceId,
      lat: data.lat,
      lon: data.lon,
      accuracy: data.accuracy,
      altitude: data.altitude,
      source: data.source,
      reported_at: data.reportedAt,
      received_at: event.occurredAt,
    };
    await trx.insertInto('position_history').values({ ...fix, seq }).onConflict((oc) => oc.column('seq').doNothing()).execute();
    await trx
      .insertInto('device_positions')
      .values({ ...fix, last_seq: seq })
      .onConflict((oc) =>
        oc
          .columns(['tenant', 'device_id'])
          .doUpdateSet({ ...fix, last_seq: seq })
          .where((eb) =>
            eb.or([
              eb('device_positions.reported_at', '<', data.reportedAt),
              eb.and([eb('device_positions.reported_at', '=', data.reportedAt), eb('device_positions.last_seq', '<', seq)]),
            ]),
          ),
      )
      .execute();
  },
});
