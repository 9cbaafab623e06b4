import { startSchemaOnlyService, type RunningService, type ServiceContext } from '@flotilla/service-kit';
import { migrations } from '../migrations/index.js';
import { catalogRoutes } from './catalog/catalog.routes.js';

/**
 * Starts the policy-service: it migrates its schema, reports health and serves the policy catalog
 * (fleets, assignments and commands come with their features).
 */
export async function startPolicyService(context: ServiceContext, options: { schema: string }): Promise<RunningService> {
  const service = await startSchemaOnlyService(context, { name: 'policy-service', schema: options.schema, migrations });
  return { ...service, routes: catalogRoutes(), endpoints: [...service.endpoints, 'GET /api/v1/policies/catalog'], ready: () => service.ready(), stop: () => service.stop() };
}
