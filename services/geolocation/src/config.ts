import { baseServiceConfig } from '@flotilla/service-kit';
import { z } from 'zod';

/** Environment of the geolocation service. */
export const geolocationConfig = baseServiceConfig.extend({
  HTTP_PORT: baseServiceConfig.shape.HTTP_PORT.default(8085),
  GEO_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('geo'),
});
/** Parsed {@link geolocationConfig}. */
export type GeolocationConfig = z.output<typeof geolocationConfig>;
