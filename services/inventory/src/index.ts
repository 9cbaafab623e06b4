export { inventoryConfig, inventorySettings } from './config.js';
export type { InventorySettings } from './config.js';
export { inventoryProjections, startInventory } from './service.js';
export type { RunningInventory } from './service.js';
export { migrations } from '../migrations/index.js';
export { createTenantWith, TenantExistsError } from './identity/bootstrap.js';
