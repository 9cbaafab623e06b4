import type { ProjectionRunOptions } from '@flotilla/bus';
import { openServiceDb, type RunningService, type ServiceContext } from '@flotilla/service-kit';
import { migrations } from '../migrations/index.js';
import { devicePositionsProjector } from './device-positions/device-positions.projector.js';
import { devicePositionsRoutes } from './device-positions/device-positions.routes.js';
import type { GeoTables } from './device-positions/device-positions.table.js';

/** The projections of this service, by name (what `flotilla replay` accepts). */
export const geolocationProjections = [devicePositionsProjector] as const;

/** Starts the geolocation service: migrates its schema and runs its projections. */
export async function startGeolocation(context: ServiceContext, options: { schema: string; projection?: Partial<ProjectionRunOptions> }): Promise<RunningService> {
  const db = await openServiceDb<GeoTables>({ connectionString: context.databaseUrl, schema: options.schema, migrations, applicationName: 'flotilla-geolocation' });
  const positions = context.bus.consume(db, devicePositionsProjector, options.projection);
  return {
    name: 'geolocation',
    routes: devicePositionsRoutes(db),
    endpoints: ['GET /api/v1/devices/:id/positions'],
    ready: () => true,
    async stop() {
      await positions.stop();
      await db.destroy();
    },
  };
}
