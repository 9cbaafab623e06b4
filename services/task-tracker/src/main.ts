import { runStandalone } from '@flotilla/service-kit';
import { taskTrackerConfig } from './config.js';
import { startTaskTracker } from './service.js';

await runStandalone('task-tracker', taskTrackerConfig, (context, config) => startTaskTracker(context, { schema: config.TASKS_DB_SCHEMA }));
