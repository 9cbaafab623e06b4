import type { CheckpointTables } from '@flotilla/db';
import type { Selectable } from 'kysely';

/** The columns of one position fix, shared by the latest-position and history tables. */
export interface FixColumns {
  tenant: string;
  device_id: string;
  lat: number;
  lon: number;
  accuracy: number | null;
  altitude: number | null;
  source: string;
  reported_at: Date;
  received_at: Date;
}

/** `device_positions`: the latest fix of each device (by the device's own report time). */
export interface DevicePositionsTable extends FixColumns {
  last_seq: number;
}

/** `position_history`: every fix, one row per event (`seq` is its stream sequence). */
export interface PositionHistoryTable extends FixColumns {
  seq: number;
}

/** The geolocation read model. */
export interface GeoTables {
  device_positions: DevicePositionsTable;
  position_history: PositionHistoryTable;
}

/** A row of `device_positions`. */
export type DevicePositionRow = Selectable<DevicePositionsTable>;
/** A row of `position_history`. */
export type PositionHistoryRow = Selectable<PositionHistoryTable>;

/** Everything in the geolocation schema. */
export type GeoDatabase = GeoTables & CheckpointTables;
