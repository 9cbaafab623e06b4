import { startSchemaOnlyService, type RunningService, type ServiceContext } from '@flotilla/service-kit';
import { migrations } from '../migrations/index.js';

/** Starts the inventory service: for now it migrates its schema and reports health. */
export function startInventory(context: ServiceContext, options: { schema: string }): Promise<RunningService> {
  return startSchemaOnlyService(context, { name: 'inventory', schema: options.schema, migrations });
}
