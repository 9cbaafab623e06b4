import { runStandalone } from '@flotilla/service-kit';
import { geolocationConfig } from './config.js';
import { startGeolocation } from './service.js';

await runStandalone('geolocation', geolocationConfig, (context, config) => startGeolocation(context, { schema: config.GEO_DB_SCHEMA }));
