import { parseConfig, runStandalone } from '@flotilla/service-kit';
import { geolocationConfig } from './config.js';
import { startGeolocation } from './service.js';

const config = parseConfig(geolocationConfig, process.env);
await runStandalone('geolocation', config, (context) => startGeolocation(context, { schema: config.GEO_DB_SCHEMA }));
