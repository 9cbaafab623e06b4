import { baseServiceConfig } from '@flotilla/service-kit';
import { z } from 'zod';

/** Environment of the task-tracker service. */
export const taskTrackerConfig = baseServiceConfig.extend({
  HTTP_PORT: baseServiceConfig.shape.HTTP_PORT.default(8084),
  TASKS_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('tasks'),
});
