import { projector } from '@flotilla/bus';
import { DeviceInventoryReported } from '@flotilla/contracts';
import type { CheckpointTables } from '@flotilla/db';
import type { Insertable, Transaction } from 'kysely';
import type { InventoryTables } from '../context.js';
import { diffInventories } from '../inventory-document/inventory-diff.js';
import { type InventoryFields, type InventoryReading, type NormalizedInventory, parseInventoryXml } from '../inventory-document/inventory-document.js';
import type { AttributeSource, ComponentKind, DeviceInventoriesTable } from './inventory.table.js';

type Trx = Transaction<InventoryTables & CheckpointTables>;
interface Device {
  tenant: string;
  device_id: string;
}
interface Attribute {
  scope: string;
  key: string;
  value: string;
}

/** The `device_attributes` source this projection owns. */
export const FLYVE_INVENTORY_SOURCE: AttributeSource = 'flyve-inventory';

/** Inventory list sections stored in `device_components`, and the kind each becomes. */
export const COMPONENT_SECTIONS = { cpus: 'cpu', memories: 'memory', drives: 'drive', simcards: 'simcard', sensors: 'sensor' } as const satisfies Record<string, ComponentKind>;

// Device-sent text goes into btree indexes (and attribute keys into a primary key), whose entries PostgreSQL
// caps at about 2.7 kB: promoted columns are clipped and over-long keys skipped, so a hostile inventory
// cannot make an insert fail. Every value stays whole in the `fields`/`normalized` JSON.
const MAX_INDEXED = 200;
// Bind parameters per statement are capped at 65535; a 4 MiB inventory may list thousands of apps.
const ROWS_PER_INSERT = 1000;
// PostgreSQL can store neither NUL nor an unpaired surrogate (in text or in jsonb), and XML allows neither.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const clip = (text: string | null | undefined): string | null => (text ? (text.length > MAX_INDEXED ? Array.from(text).slice(0, MAX_INDEXED).join('') : text) : null);
const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/** The document as it can be stored, and what it reads as; a document PostgreSQL cannot store as sent is refused. */
function read(raw: string): { document: string; reading: InventoryReading } {
  const document = raw.replace(UNSTORABLE, '\uFFFD');
  if (document !== raw) return { document, reading: { kind: 'invalid', reason: 'inventory contains a NUL character or an unpaired surrogate, which XML does not allow' } };
  return { document, reading: parseInventoryXml(raw) };
}

/** `yyyy-MM-dd` from INSTALLDATE as the Android library (dd/MM/yyyy) or other agents (yyyy-MM-dd…) write it; null otherwise. */
function installDate(text: string | null): string | null {
  const dmy = text ? /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text) : null;
  const ymd = text && !dmy ? /^(\d{4})-(\d{2})-(\d{2})/.exec(text) : null;
  const [y, m, d] = dmy ? [dmy[3], dmy[2], dmy[1]] : ymd ? [ymd[1], ymd[2], ymd[3]] : [];
  if (y === undefined || m === undefined || d === undefined || Number(y) < 1000) return null;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d) ? `${y}-${m}-${d}` : null;
}

/** A battery's charge in percent from LEVEL (`87%`) or else CAPACITY (`87`); null when neither is a percentage. */
function levelPercent(fields: InventoryFields): number | null {
  const match = /^(\d{1,3})\s*%?$/.exec(fields.level || fields.capacity || '');
  return match && Number(match[1]) <= 100 ? Number(match[1]) : null;
}

/** The single-valued facts of an inventory, keyed by scope and key: HARDWARE, BIOS, OPERATINGSYSTEM, the agent version and DEVICEID. */
function attributesOf(inventory: NormalizedInventory): Map<string, Attribute> {
  const header: InventoryFields = inventory.agentVersion === null ? { deviceId: inventory.deviceId } : { deviceId: inventory.deviceId, agentVersion: inventory.agentVersion };
  const sections: [string, InventoryFields][] = [['inventory', header], ['hardware', inventory.hardware], ['bios', inventory.bios], ['os', inventory.os]];
  const attributes = new Map<string, Attribute>();
  for (const [scope, fields] of sections) {
    for (const [key, value] of Object.entries(fields)) if (key.length <= MAX_INDEXED) attributes.set(`${scope}/${key}`, { scope, key, value });
  }
  return attributes;
}

async function inChunks<R>(rows: readonly R[], insert: (chunk: R[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) await insert(rows.slice(start, start + ROWS_PER_INSERT));
}

/**
 * Makes the device's `flyve-inventory` attributes those of `next`. Values that did not change keep their
 * `updated_at`/`updated_seq`; without a previous inventory (the first one, or a replay after a reset, which
 * leaves this table shared with other sources alone) every one of them is rewritten.
 */
async function writeAttributes(trx: Trx, device: Device, at: { seq: number; time: Date }, previous: NormalizedInventory | null, next: NormalizedInventory): Promise<void> {
  const [was, is] = [previous ? attributesOf(previous) : new Map<string, Attribute>(), attributesOf(next)];
  const mine = trx.deleteFrom('device_attributes').where('tenant', '=', device.tenant).where('device_id', '=', device.device_id).where('source', '=', FLYVE_INVENTORY_SOURCE);
  if (previous === null) await mine.execute();
  const gone = [...was].filter(([id]) => !is.has(id)).map(([, attribute]) => attribute);
  await inChunks(gone, (chunk) => mine.where((eb) => eb.or(chunk.map((a) => eb.and([eb('scope', '=', a.scope), eb('key', '=', a.key)])))).execute());
  const changed = [...is].filter(([id, attribute]) => was.get(id)?.value !== attribute.value).map(([, a]) => ({ ...device, source: FLYVE_INVENTORY_SOURCE, ...a, updated_at: at.time, updated_seq: at.seq }));
  await inChunks(changed, (rows) =>
    trx
      .insertInto('device_attributes')
      .values(rows)
      .onConflict((oc) => oc.columns(['tenant', 'device_id', 'source', 'scope', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at'), updated_seq: eb.ref('excluded.updated_seq') })))
      .execute(),
  );
}

/** Rewrites the list sections that changed since `previous` (all of them when there is none). */
async function writeLists(trx: Trx, device: Device, touched: (section: string) => boolean, next: NormalizedInventory): Promise<void> {
  const { tenant, device_id } = device;
  const item = (fields: InventoryFields, position: number) => ({ tenant, device_id, position, fields: JSON.stringify(fields) });
  if (touched('networks')) {
    await trx.deleteFrom('device_networks').where('tenant', '=', tenant).where('device_id', '=', device_id).execute();
    const rows = next.networks.map((f, i) => ({ ...item(f, i), description: clip(f.description), mac_address: clip(f.macaddr), ip_address: clip(f.ipaddress), type: clip(f.type) }));
    await inChunks(rows, (chunk) => trx.insertInto('device_networks').values(chunk).execute());
  }
  if (touched('batteries')) {
    await trx.deleteFrom('device_batteries').where('tenant', '=', tenant).where('device_id', '=', device_id).execute();
    const rows = next.batteries.map((f, i) => ({ ...item(f, i), name: clip(f.name), level_percent: levelPercent(f) }));
    await inChunks(rows, (chunk) => trx.insertInto('device_batteries').values(chunk).execute());
  }
  if (touched('software')) {
    await trx.deleteFrom('device_software').where('tenant', '=', tenant).where('device_id', '=', device_id).execute();
    const rows = next.software.map((s, i) => ({
      ...item(s.fields, i), name: clip(s.name) ?? '', version: clip(s.version), package_name: clip(s.packageName), publisher: clip(s.publisher), install_date: installDate(s.installDate),
    }));
    await inChunks(rows, (chunk) => trx.insertInto('device_software').values(chunk).execute());
  }
  for (const [section, kind] of Object.entries(COMPONENT_SECTIONS) as [keyof typeof COMPONENT_SECTIONS, ComponentKind][]) {
    if (!touched(section)) continue;
    await trx.deleteFrom('device_components').where('tenant', '=', tenant).where('device_id', '=', device_id).where('kind', '=', kind).execute();
    await inChunks(next[section].map((f, i) => ({ ...item(f, i), kind })), (chunk) => trx.insertInto('device_components').values(chunk).execute());
  }
}

/**
 * The inventory read model: each `DeviceInventoryReported` is parsed here (pure, so a replay rebuilds the
 * same rows) and compared with the device's previous normalized inventory.
 * - Documents are taken in stream order: the latest in the stream is the device's inventory, whatever its
 *   `receivedAt` (one device's reports reach the stream in the order they arrive; the agent's own clock,
 *   in DEVICEID, is not trusted to order them). `last_seq` makes a redelivery a no-op.
 * - A document that does not parse is kept raw with `parse_error`; the normalized rows, attributes and
 *   history stay those of the last document that parsed, and the next good one is compared with that.
 * - The first inventory of a device records no changes. Sections a new inventory does not change are not
 *   rewritten; a changed one is replaced wholesale.
 * `device_attributes` is not in `tables`: other sources will share it, so a reset must not truncate it
 * (a replay rewrites this source's attributes from each device's first inventory on).
 */
export const inventoryDocumentsProjector = projector<InventoryTables, [typeof DeviceInventoryReported]>({
  name: 'inventory-documents',
  events: [DeviceInventoryReported],
  tables: ['device_inventories', 'device_networks', 'device_batteries', 'device_software', 'device_components', 'inventory_changes'],
  async apply(trx, { tenant, data }, { seq }) {
    const device: Device = { tenant, device_id: data.deviceId };
    const stored = await trx
      .selectFrom('device_inventories')
      .select(['last_seq', 'normalized'])
      .where('tenant', '=', tenant)
      .where('device_id', '=', data.deviceId)
      .forUpdate()
      .executeTakeFirst();
    if (stored && stored.last_seq >= seq) return;
    const { document, reading } = read(data.document);
    const received = { document, received_at: data.receivedAt, last_seq: seq };
    const save = (row: Omit<Insertable<DeviceInventoriesTable>, 'tenant' | 'device_id'>) =>
      trx.insertInto('device_inventories').values({ ...device, ...row }).onConflict((oc) => oc.columns(['tenant', 'device_id']).doUpdateSet(row)).execute();
    if (reading.kind === 'invalid') return save({ ...received, parse_error: reading.reason });

    const previous = stored?.normalized ?? null;
    const next = reading.inventory;
    const changes = diffInventories(previous, next);
    await save({ ...received, parse_error: null, normalized: JSON.stringify(next), inventory_device_id: next.deviceId, agent_version: next.agentVersion, parsed_at: data.receivedAt });
    await writeAttributes(trx, device, { seq, time: data.receivedAt }, previous, next);
    const sections = new Set(changes.map((change) => change.section));
    await writeLists(trx, device, (section) => previous === null || sections.has(section), next);
    const history = changes.map((c, ordinal) => ({ seq, ordinal, ...device, section: c.section, key: c.key, change: c.change, before: json(c.before), after: json(c.after), occurred_at: data.receivedAt }));
    await inChunks(history, (rows) => trx.insertInto('inventory_changes').values(rows).onConflict((oc) => oc.columns(['seq', 'ordinal']).doNothing()).execute());
  },
});
