export { policyServiceConfig } from './config.js';
export { startPolicyService } from './service.js';
export { migrations } from '../migrations/index.js';
