import { parseConfig, runStandalone } from '@flotilla/service-kit';
import { policyServiceConfig } from './config.js';
import { startPolicyService } from './service.js';

const config = parseConfig(policyServiceConfig, process.env);
await runStandalone('policy-service', config, (context) => startPolicyService(context, { schema: config.POLICY_DB_SCHEMA }));
