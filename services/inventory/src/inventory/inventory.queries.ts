import { sql, type Kysely } from 'kysely';
import type { InventoryDatabase } from '../context.js';
import type { InventoryFields } from '../inventory-document/inventory-document.js';
import type { AttributeSource, DeviceAttributeRow, DeviceBatteryRow, DeviceComponentRow, DeviceInventoryRow, DeviceNetworkRow, InventoryChangeRow } from './inventory.table.js';

type Db = Kysely<InventoryDatabase>;

/** A device's inventory header: `device_inventories` without the document and the normalized JSON. */
export type InventoryHeader = Omit<DeviceInventoryRow, 'document' | 'normalized'>;

/** One installed package as listed; `install_date` is `yyyy-MM-dd`. */
export interface SoftwareItem {
  position: number;
  name: string;
  version: string | null;
  package_name: string | null;
  publisher: string | null;
  install_date: string | null;
  fields: InventoryFields;
}

/** The inventory header of a device of `tenant`, or undefined (also for another tenant's device). */
export function findInventory(db: Db, tenant: string, deviceId: string): Promise<InventoryHeader | undefined> {
  return db
    .selectFrom('device_inventories')
    .select(['tenant', 'device_id', 'parse_error', 'received_at', 'last_seq', 'inventory_device_id', 'agent_version', 'parsed_at'])
    .where('tenant', '=', tenant)
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
}

/** The latest document a device of `tenant` sent, as sent (broken or not), or undefined. */
export async function inventoryDocument(db: Db, tenant: string, deviceId: string): Promise<string | undefined> {
  const row = await db.selectFrom('device_inventories').select('document').where('tenant', '=', tenant).where('device_id', '=', deviceId).executeTakeFirst();
  return row?.document;
}

/** A device's attributes from `source`, by scope then key. */
export function deviceAttributes(db: Db, tenant: string, deviceId: string, source: AttributeSource): Promise<DeviceAttributeRow[]> {
  return db.selectFrom('device_attributes').selectAll().where('tenant', '=', tenant).where('device_id', '=', deviceId).where('source', '=', source).orderBy('scope').orderBy('key').execute();
}

/** A device's network interfaces, in document order. */
export function deviceNetworks(db: Db, tenant: string, deviceId: string): Promise<DeviceNetworkRow[]> {
  return db.selectFrom('device_networks').selectAll().where('tenant', '=', tenant).where('device_id', '=', deviceId).orderBy('position').execute();
}

/** A device's batteries, in document order. */
export function deviceBatteries(db: Db, tenant: string, deviceId: string): Promise<DeviceBatteryRow[]> {
  return db.selectFrom('device_batteries').selectAll().where('tenant', '=', tenant).where('device_id', '=', deviceId).orderBy('position').execute();
}

/** A device's components, by kind then document order. */
export function deviceComponents(db: Db, tenant: string, deviceId: string): Promise<DeviceComponentRow[]> {
  return db.selectFrom('device_components').selectAll().where('tenant', '=', tenant).where('device_id', '=', deviceId).orderBy('kind').orderBy('position').execute();
}

/** How many packages a device has installed. */
export async function softwareCount(db: Db, tenant: string, deviceId: string): Promise<number> {
  const row = await db.selectFrom('device_software').select((eb) => eb.fn.countAll<string>().as('count')).where('tenant', '=', tenant).where('device_id', '=', deviceId).executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * One page of a device's packages sorted by name (then document position), optionally only those whose
 * name or package name contains `q` (case-insensitive); one more row than `limit` tells whether another
 * page follows. `after` is where the previous page ended.
 */
export function listSoftware(db: Db, tenant: string, deviceId: string, query: { q?: string | undefined; limit: number; after?: { name: string; position: number } | undefined }): Promise<SoftwareItem[]> {
  let select = db
    .selectFrom('device_software')
    .select(['position', 'name', 'version', 'package_name', 'publisher', 'fields', sql<string | null>`to_char(install_date, 'YYYY-MM-DD')`.as('install_date')])
    .where('tenant', '=', tenant)
    .where('device_id', '=', deviceId);
  if (query.q) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    select = select.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('package_name', 'ilike', pattern)]));
  }
  if (query.after) select = select.where(sql<boolean>`(name, position) > (${query.after.name}, ${query.after.position})`);
  return select
    .orderBy('name')
    .orderBy('position')
    .limit(query.limit + 1)
    .execute();
}

/**
 * One page of a device's inventory changes, newest inventory first and each inventory's changes in their
 * (section, key) order; one more row than `limit` tells whether another page follows. `before` is where
 * the previous page ended.
 */
export function listChanges(db: Db, tenant: string, deviceId: string, query: { limit: number; before?: { seq: number; ordinal: number } | undefined }): Promise<InventoryChangeRow[]> {
  let select = db.selectFrom('inventory_changes').selectAll().where('tenant', '=', tenant).where('device_id', '=', deviceId);
  const before = query.before;
  if (before) select = select.where((eb) => eb.or([eb('seq', '<', before.seq), eb.and([eb('seq', '=', before.seq), eb('ordinal', '>', before.ordinal)])]));
  return select
    .orderBy('seq', 'desc')
    .orderBy('ordinal', 'asc')
    .limit(query.limit + 1)
    .execute();
}
