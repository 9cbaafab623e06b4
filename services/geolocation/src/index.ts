export { geolocationConfig } from './config.js';
export type { GeolocationConfig } from './config.js';
export { startGeolocation, geolocationProjections } from './service.js';
export { devicePositionsProjector } from './device-positions/device-positions.projector.js';
export { latestPosition, positionHistory } from './device-positions/device-positions.queries.js';
export type { DevicePositionRow, GeoDatabase, GeoTables, PositionHistoryRow } from './device-positions/device-positions.table.js';
export { migrations } from '../migrations/index.js';
