export { inventoryConfig } from './config.js';
export { startInventory } from './service.js';
export { migrations } from '../migrations/index.js';
