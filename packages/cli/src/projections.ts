import type { Projection } from '@flotilla/bus';
import type { Migrations } from '@flotilla/db';
import { geolocationProjections, migrations as geoMigrations } from '@flotilla/geolocation';
import { inventoryProjections, migrations as inventoryMigrations } from '@flotilla/inventory';

/** A projection and the service schema its read model lives in. */
export interface RegisteredProjection {
  // Projections over different schemas share this list; each is only ever run on its own schema's db.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  projection: Projection<any>;
  schema: string;
  migrations: Migrations;
}

/** Every projection of the platform, by name; `flotilla replay` takes these names. */
export function registeredProjections(): Map<string, RegisteredProjection> {
  const entries: RegisteredProjection[] = [
    ...geolocationProjections.map((projection) => ({ projection, schema: 'geo', migrations: geoMigrations })),
    ...inventoryProjections.map((projection) => ({ projection, schema: 'inventory', migrations: inventoryMigrations })),
  ];
  return new Map(entries.map((entry) => [entry.projection.name, entry]));
}
