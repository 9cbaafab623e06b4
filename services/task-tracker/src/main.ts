import { parseConfig, runStandalone } from '@flotilla/service-kit';
import { taskTrackerConfig } from './config.js';
import { startTaskTracker } from './service.js';

const config = parseConfig(taskTrackerConfig, process.env);
await runStandalone('task-tracker', config, (context) => startTaskTracker(context, { schema: config.TASKS_DB_SCHEMA }));
