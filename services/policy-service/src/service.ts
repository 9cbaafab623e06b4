import { startSchemaOnlyService, type RunningService, type ServiceContext } from '@flotilla/service-kit';
import { migrations } from '../migrations/index.js';

/** Starts the policy-service service: for now it migrates its schema and reports health. */
export function startPolicyService(context: ServiceContext, options: { schema: string }): Promise<RunningService> {
  return startSchemaOnlyService(context, { name: 'policy-service', schema: options.schema, migrations });
}
