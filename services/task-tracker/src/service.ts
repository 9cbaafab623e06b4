import { startSchemaOnlyService, type RunningService, type ServiceContext } from '@flotilla/service-kit';
import { migrations } from '../migrations/index.js';

/** Starts the task-tracker service: for now it migrates its schema and reports health. */
export function startTaskTracker(context: ServiceContext, options: { schema: string }): Promise<RunningService> {
  return startSchemaOnlyService(context, { name: 'task-tracker', schema: options.schema, migrations });
}
