import type { Migrations } from '@flotilla/db';
import { openServiceDb } from './service-db.js';
import type { RunningService, ServiceContext } from './service.js';

/**
 * A service that so far only owns its schema (migrated at start) and reports health. Used by the
 * services whose domain is not built yet, so that each already starts alone and in the platform.
 */
export async function startSchemaOnlyService(context: ServiceContext, options: { name: string; schema: string; migrations: Migrations }): Promise<RunningService> {
  const db = await openServiceDb({ connectionString: context.databaseUrl, schema: options.schema, migrations: options.migrations, applicationName: `flotilla-${options.name}` });
  return {
    name: options.name,
    endpoints: [],
    ready: () => true,
    stop: () => db.destroy(),
  };
}
