import type { Migrations } from '@flotilla/db';
import { identity } from './2026_11_22_1000_identity.js';
import { registry } from './2026_11_22_1010_registry.js';
import { inventory } from './2026_11_22_1020_inventory.js';

/** The inventory schema's migrations, in order. */
export const migrations: Migrations = {
  '2026_11_22_1000_identity': identity,
  '2026_11_22_1010_registry': registry,
  '2026_11_22_1020_inventory': inventory,
};
