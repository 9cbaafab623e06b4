import type { ProjectionRunOptions } from '@flotilla/bus';
import { DEVICE_CREDENTIALS_BUCKET, OPERATOR_KEYS_BUCKET, RETAINED_BUCKET } from '@flotilla/contracts';
import { openServiceDb, type RunningService, type ServiceContext } from '@flotilla/service-kit';
import { Counter } from 'prom-client';
import { migrations } from '../migrations/index.js';
import type { InventorySettings } from './config.js';
import type { InventoryContext, InventoryDatabase } from './context.js';
import { enrollmentRoutes } from './enrollment/enrollment.routes.js';
import { apiKeyRoutes } from './identity/api-keys.routes.js';
import { bootstrapTenant } from './identity/bootstrap.js';
import { identityProjector } from './identity/identity.projector.js';
import { identityRecordsReactor } from './identity/kv-records.js';
import { inventoryDocumentsProjector } from './inventory/inventory.projector.js';
import { inventoryRoutes } from './inventory/inventory.routes.js';
import { invitationRoutes } from './invitations/invitations.routes.js';
import { registryProjector } from './registry/registry.projector.js';
import { registryRoutes } from './registry/registry.routes.js';
import { unenrollReactor } from './unenroll/unenroll.reactor.js';

/** The projections of this service, by name (what `flotilla replay` accepts). */
export const inventoryProjections = [identityProjector, registryProjector, inventoryDocumentsProjector] as const;

/** A running inventory service; `bootstrapKey` is set when this start created the first tenant. */
export type RunningInventory = RunningService & { bootstrap: { tenant: string; key: string } | undefined; context: InventoryContext };

function counter<L extends string>(context: ServiceContext, name: string, help: string, labelNames: L[]): Counter<L> {
  return (context.metrics.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [context.metrics] });
}

/**
 * Starts the inventory service: tenants and operator keys, invitations and enrollment, device
 * credentials (projected into the gateway's bucket), unenrollment and the device registry.
 */
export async function startInventory(
  context: ServiceContext,
  settings: InventorySettings,
  options: { projection?: Partial<ProjectionRunOptions>; now?: () => Date } = {},
): Promise<RunningInventory> {
  const db = await openServiceDb<InventoryDatabase>({ connectionString: context.databaseUrl, schema: settings.INVENTORY_DB_SCHEMA, migrations, applicationName: 'flotilla-inventory' });
  const kv = await context.bus.ensureBuckets([{ name: DEVICE_CREDENTIALS_BUCKET }, { name: OPERATOR_KEYS_BUCKET }, { name: RETAINED_BUCKET }]);
  const ctx: InventoryContext = {
    bus: context.bus,
    db,
    buckets: { deviceCredentials: kv.get(DEVICE_CREDENTIALS_BUCKET)!, operatorKeys: kv.get(OPERATOR_KEYS_BUCKET)!, retained: kv.get(RETAINED_BUCKET)! },
    settings,
    logger: context.logger.child({ service: 'inventory' }),
    now: options.now ?? (() => new Date()),
    metrics: {
      enrollments: counter(context, 'flotilla_enrollments_total', 'Devices enrolled', []),
      enrollmentRefusals: counter(context, 'flotilla_enrollment_refusals_total', 'Enrollments refused, by reason', ['reason']),
    },
  };
  const running = [
    context.bus.consume(db, identityProjector, options.projection),
    context.bus.consume(db, registryProjector, options.projection),
    context.bus.consume(db, inventoryDocumentsProjector, options.projection),
    context.bus.react(identityRecordsReactor(ctx.buckets)),
    context.bus.react(unenrollReactor(ctx)),
  ];
  const bootstrap = await bootstrapTenant(ctx);
  if (bootstrap) ctx.logger.info({ tenant: bootstrap.tenant, keyId: bootstrap.keyId }, 'created the first tenant and its admin key');
  const routes = [apiKeyRoutes(ctx), invitationRoutes(ctx), registryRoutes(ctx), inventoryRoutes(ctx)];
  return {
    name: 'inventory',
    context: ctx,
    bootstrap: bootstrap ? { tenant: bootstrap.tenant, key: bootstrap.key } : undefined,
    routes: async (app) => {
      for (const plugin of routes) await app.register(plugin);
    },
    publicRoutes: enrollmentRoutes(ctx),
    endpoints: ['POST /api/v1/enrollments', '/api/v1/invitations', '/api/v1/devices', '/api/v1/api-keys'],
    ready: () => true,
    async stop() {
      for (const handle of running) await handle.stop();
      await db.destroy();
    },
  };
}
