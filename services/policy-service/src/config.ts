import { baseServiceConfig } from '@flotilla/service-kit';
import { z } from 'zod';

/** Environment of the policy-service service. */
export const policyServiceConfig = baseServiceConfig.extend({
  HTTP_PORT: baseServiceConfig.shape.HTTP_PORT.default(8083),
  POLICY_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('policy'),
});
