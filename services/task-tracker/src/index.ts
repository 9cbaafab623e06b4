export { taskTrackerConfig } from './config.js';
export { startTaskTracker } from './service.js';
export { migrations } from '../migrations/index.js';
