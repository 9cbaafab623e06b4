import type { Bus } from '@flotilla/bus';
import type { CheckpointTables } from '@flotilla/db';
import type { KV } from '@nats-io/kv';
import type { Kysely } from 'kysely';
import type { Counter } from 'prom-client';
import type { ServiceContext } from '@flotilla/service-kit';
import type { InventorySettings } from './config.js';
import type { IdentityTables } from './identity/identity.table.js';
import type { IdentityBuckets } from './identity/kv-records.js';
import type { InventoryDocumentTables } from './inventory/inventory.table.js';
import type { RegistryTables } from './registry/registry.table.js';

/** The read-model tables of the inventory schema. */
export type InventoryTables = IdentityTables & RegistryTables & InventoryDocumentTables;
/** Every table of the inventory schema. */
export type InventoryDatabase = InventoryTables & CheckpointTables;

/** What the inventory's use cases work with. */
export interface InventoryContext {
  bus: Bus;
  db: Kysely<InventoryDatabase>;
  buckets: IdentityBuckets & { retained: KV };
  settings: InventorySettings;
  logger: ServiceContext['logger'];
  now: () => Date;
  metrics: { enrollments: Counter; enrollmentRefusals: Counter<'reason'> };
}
