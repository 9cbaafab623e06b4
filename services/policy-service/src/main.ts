import { runStandalone } from '@flotilla/service-kit';
import { policyServiceConfig } from './config.js';
import { startPolicyService } from './service.js';

await runStandalone('policy-service', policyServiceConfig, (context, config) => startPolicyService(context, { schema: config.POLICY_DB_SCHEMA }));
