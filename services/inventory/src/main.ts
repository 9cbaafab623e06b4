import { parseConfig, runStandalone } from '@flotilla/service-kit';
import { inventoryConfig } from './config.js';
import { startInventory } from './service.js';

const config = parseConfig(inventoryConfig, process.env);
await runStandalone('inventory', config, (context) => startInventory(context, { schema: config.INVENTORY_DB_SCHEMA }));
