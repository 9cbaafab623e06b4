import type { Migrations } from '@flotilla/db';
import { devicePositions } from './2026_11_21_1200_device_positions.js';

/** The geolocation schema's migrations, in order. */
export const migrations: Migrations = {
  '2026_11_21_1200_device_positions': devicePositions,
};
