import type { ColumnType, Selectable } from 'kysely';
import type { InventoryChange } from '../inventory-document/inventory-diff.js';
import type { InventoryFields, NormalizedInventory } from '../inventory-document/inventory-document.js';

/** A `jsonb` column: read as `T`, written as the JSON text (so arrays and strings are never taken for SQL values). */
type Json<T> = ColumnType<T, string, string>;
/** A nullable `jsonb` column. */
type NullableJson<T> = ColumnType<T | null, string | null, string | null>;

/**
 * `device_inventories`: one row per (tenant, device). `document`, `parse_error`, `received_at` and
 * `last_seq` describe the latest document received (broken or not); `normalized`, `inventory_device_id`,
 * `agent_version` and `parsed_at` the latest one that parsed, null until one has.
 */
export interface DeviceInventoriesTable {
  tenant: string;
  device_id: string;
  /** The XML as the device sent it. */
  document: string;
  /** Why `document` was refused; null when it parsed. */
  parse_error: string | null;
  received_at: Date;
  last_seq: number;
  normalized: NullableJson<NormalizedInventory>;
  /** `REQUEST/DEVICEID` of the normalized document. */
  inventory_device_id: string | null;
  agent_version: string | null;
  parsed_at: Date | null;
}

/** Who wrote an attribute: the Flyve inventory now; ThingsBoard client attributes and Watson `deviceInfo` later. */
export type AttributeSource = 'flyve-inventory' | 'thingsboard-client' | 'watson-deviceinfo';

/**
 * `device_attributes`: single-valued facts about a device, (tenant, device, source, scope, key) → value.
 * For `flyve-inventory` the scope is the section (`hardware`, `bios`, `os`, and `inventory` for the
 * agent version and DEVICEID) and the key the field; `updated_at`/`updated_seq` say when the value last changed.
 */
export interface DeviceAttributesTable {
  tenant: string;
  device_id: string;
  source: AttributeSource;
  scope: string;
  key: string;
  value: string;
  updated_at: Date;
  updated_seq: number;
}

/** The columns of every list-section row: its device and its place in the document it came from. */
interface ListRowColumns {
  tenant: string;
  device_id: string;
  position: number;
  /** Every field of the item (see {@link InventoryFields}). */
  fields: Json<InventoryFields>;
}

/** `device_networks`: the device's network interfaces (NETWORKS). */
export interface DeviceNetworksTable extends ListRowColumns {
  description: string | null;
  mac_address: string | null;
  ip_address: string | null;
  type: string | null;
}

/** `device_batteries`: the device's batteries (BATTERIES); `level_percent` from CAPACITY or LEVEL. */
export interface DeviceBatteriesTable extends ListRowColumns {
  name: string | null;
  level_percent: number | null;
}

/** `device_software`: installed packages (SOFTWARES); `install_date` when INSTALLDATE is a date (dd/MM/yyyy or yyyy-MM-dd). */
export interface DeviceSoftwareTable extends ListRowColumns {
  name: string;
  version: string | null;
  package_name: string | null;
  publisher: string | null;
  /** A `date`; written as `yyyy-MM-dd`. */
  install_date: ColumnType<Date | null, string | null, string | null>;
}

/** The kinds of {@link DeviceComponentsTable} rows, one per inventory section. */
export type ComponentKind = 'cpu' | 'memory' | 'drive' | 'simcard' | 'sensor';

/** `device_components`: the other list sections (CPUS, MEMORIES, DRIVES, SIMCARDS, SENSORS), by kind. */
export interface DeviceComponentsTable extends ListRowColumns {
  kind: ComponentKind;
}

/** `inventory_changes`: one row per {@link InventoryChange}, `seq` being the inventory event's stream sequence. */
export interface InventoryChangesTable {
  seq: number;
  ordinal: number;
  tenant: string;
  device_id: string;
  section: string;
  key: string;
  change: InventoryChange['change'];
  before: NullableJson<unknown>;
  after: NullableJson<unknown>;
  occurred_at: Date;
}

/** The inventory-document read model. */
export interface InventoryDocumentTables {
  device_inventories: DeviceInventoriesTable;
  device_attributes: DeviceAttributesTable;
  device_networks: DeviceNetworksTable;
  device_batteries: DeviceBatteriesTable;
  device_software: DeviceSoftwareTable;
  device_components: DeviceComponentsTable;
  inventory_changes: InventoryChangesTable;
}

/** A row of `device_inventories`. */
export type DeviceInventoryRow = Selectable<DeviceInventoriesTable>;
/** A row of `device_attributes`. */
export type DeviceAttributeRow = Selectable<DeviceAttributesTable>;
/** A row of `device_networks`. */
export type DeviceNetworkRow = Selectable<DeviceNetworksTable>;
/** A row of `device_batteries`. */
export type DeviceBatteryRow = Selectable<DeviceBatteriesTable>;
/** A row of `device_software`. */
export type DeviceSoftwareRow = Selectable<DeviceSoftwareTable>;
/** A row of `device_components`. */
export type DeviceComponentRow = Selectable<DeviceComponentsTable>;
/** A row of `inventory_changes`. */
export type InventoryChangeRow = Selectable<InventoryChangesTable>;
