import { runStandalone } from '@flotilla/service-kit';
import { inventoryConfig } from './config.js';
import { startInventory } from './service.js';

await runStandalone('inventory', inventoryConfig, async (context, config) => {
  const service = await startInventory(context, config);
  // Shown once: the first start on an empty platform creates the first tenant's admin key.
  if (service.bootstrap) process.stdout.write(`\nFirst start: tenant "${service.bootstrap.tenant}" created. Its admin API key (shown once, keep it):\n\n  ${service.bootstrap.key}\n\n`);
  return service;
});
