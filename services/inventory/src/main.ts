import { runStandalone } from '@flotilla/service-kit';
import { inventoryConfig } from './config.js';
import { startInventory } from './service.js';

await runStandalone('inventory', inventoryConfig, (context, config) => startInventory(context, { schema: config.INVENTORY_DB_SCHEMA }));
