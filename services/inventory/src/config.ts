import { baseServiceConfig } from '@flotilla/service-kit';
import { z } from 'zod';

/** Environment of the inventory service. */
export const inventoryConfig = baseServiceConfig.extend({
  HTTP_PORT: baseServiceConfig.shape.HTTP_PORT.default(8082),
  INVENTORY_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('inventory'),
});
