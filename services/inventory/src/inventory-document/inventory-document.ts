import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { cdataAsText, fieldsOf, type InventoryFields, textOf } from './inventory-fields.js';

export type { InventoryFields } from './inventory-fields.js';

/** The largest inventory read: a phone with 300 apps is about 150 KiB, and the parse stays bounded. */
export const MAX_INVENTORY_BYTES = 4 * 1024 * 1024;

/**
 * One installed package (`SOFTWARES`). The Android library writes NAME, COMMENTS (the package name),
 * VERSION, FILESIZE, FROM, INSTALLDATE (dd/MM/yyyy), FOLDER, NO_REMOVE and USERID; `fields` keeps all of
 * them, and PUBLISHER when another FusionInventory agent sends it.
 */
export interface InventorySoftware {
  name: string;
  version: string | null;
  packageName: string | null;
  publisher: string | null;
  installDate: string | null;
  fields: InventoryFields;
}

/**
 * A Flyve agent's FusionInventory document, normalized (flyve-mdm.md §B.5). Properties are camelCase;
 * the keys of every field map are the tags lowercased (see {@link InventoryFields}). Sections this type
 * does not name are kept in `other`, keyed by their tag lowercased (`STORAGES` → `storages`), as are
 * ACCOUNTINFO entries other than the TAG one; nothing the agent sent is dropped.
 */
export interface NormalizedInventory {
  /** `REQUEST/DEVICEID`: `<hardware name>-<yyyy-MM-dd-HH-mm-ss>`, new on every report. */
  deviceId: string;
  /** ACCOUNTINFO with KEYNAME `TAG`: `invitation_<64 hex>` for an enrollment (§B.3). */
  invitationTag: string | null;
  /** VERSIONCLIENT, e.g. `MDM Agent/2.0.0`. */
  agentVersion: string | null;
  hardware: InventoryFields;
  /** The serial (§B.7: the MQTT topic and user) is `bios.ssn`. */
  bios: InventoryFields;
  os: InventoryFields;
  cpus: InventoryFields[];
  memories: InventoryFields[];
  drives: InventoryFields[];
  networks: InventoryFields[];
  batteries: InventoryFields[];
  simcards: InventoryFields[];
  sensors: InventoryFields[];
  software: InventorySoftware[];
  other: Record<string, InventoryFields[]>;
}

/** An inventory as read, or why it is refused. */
export type InventoryReading = { kind: 'ok'; inventory: NormalizedInventory } | { kind: 'invalid'; reason: string };

const invalid = (reason: string): InventoryReading => ({ kind: 'invalid', reason });

const SINGLE = { HARDWARE: 'hardware', BIOS: 'bios', OPERATINGSYSTEM: 'os' } as const;
const LISTS = { CPUS: 'cpus', MEMORIES: 'memories', DRIVES: 'drives', NETWORKS: 'networks', BATTERIES: 'batteries', SIMCARDS: 'simcards', SENSORS: 'sensors' } as const;

// Every child of CONTENT is read as a list, so one <SOFTWARES> and three read the same way. Entities are
// decoded by textOf, never by the parser, and a DOCTYPE is refused before parsing: nothing expands.
const parser = new XMLParser({
  ignoreAttributes: true, parseTagValue: false, processEntities: false, ignoreDeclaration: true, ignorePiTags: true,
  isArray: (tagName, jPath) => jPath === `REQUEST.CONTENT.${tagName}`,
});

function software(fields: InventoryFields): InventorySoftware {
  const field = (key: string) => (fields[key] ? fields[key] : null);
  return { name: fields.name ?? '', version: field('version'), packageName: field('comments'), publisher: field('publisher'), installDate: field('installdate'), fields };
}

function normalize(deviceId: string, content: Record<string, unknown>): NormalizedInventory {
  const inventory: NormalizedInventory = {
    deviceId, invitationTag: null, agentVersion: null, hardware: {}, bios: {}, os: {},
    cpus: [], memories: [], drives: [], networks: [], batteries: [], simcards: [], sensors: [], software: [], other: {},
  };
  const other = new Map<string, InventoryFields[]>();
  const keep = (name: string, items: InventoryFields[]) => {
    if (items.length > 0) other.set(name, [...(other.get(name) ?? []), ...items]);
  };
  for (const [tag, value] of Object.entries(content)) {
    const items = (Array.isArray(value) ? value : [value]).map(fieldsOf);
    if (tag === 'VERSIONCLIENT') {
      inventory.agentVersion = items[0]?.text || null;
    } else if (tag === 'ACCOUNTINFO') {
      // The 2018 library writes the TAG entry twice; the first non-empty value counts.
      inventory.invitationTag = items.find((item) => item.keyname === 'TAG' && item.keyvalue)?.keyvalue ?? null;
      keep('accountinfo', items.filter((item) => item.keyname !== 'TAG'));
    } else if (Object.hasOwn(SINGLE, tag)) {
      inventory[SINGLE[tag as keyof typeof SINGLE]] = items[0] ?? {};
      keep(tag.toLowerCase(), items.slice(1)); // the library writes one; extra copies are kept, not merged
    } else if (Object.hasOwn(LISTS, tag)) {
      inventory[LISTS[tag as keyof typeof LISTS]] = items;
    } else if (tag === 'SOFTWARES') {
      inventory.software = items.map(software);
    } else {
      keep(tag.toLowerCase(), items);
    }
  }
  // Own properties only: a section named __PROTO__ stays a key and never becomes a prototype.
  return { ...inventory, other: Object.fromEntries(other) };
}

function readDocument(xml: string): InventoryReading {
  // A DOCTYPE is where entities are declared; refusing it outright is the whole XML-bomb defence.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return invalid('inventory declares a DOCTYPE or ENTITY, which is refused (no entity expansion)');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return invalid(`inventory is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(cdataAsText(xml)) as Record<string, unknown>;
  } catch (error) {
    return invalid(`inventory could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  const roots = Object.keys(parsed);
  if (roots.length !== 1 || Array.isArray(parsed.REQUEST)) return invalid(`inventory must have one root element, found ${roots.join(', ') || 'none'}`);
  if (roots[0] !== 'REQUEST') return invalid(`inventory root is <${roots[0]}>, expected <REQUEST>`);
  const request = parsed.REQUEST;
  if (request === null || typeof request !== 'object') return invalid('inventory has no QUERY, expected INVENTORY');
  const { QUERY, DEVICEID, CONTENT } = request as Record<string, unknown>;
  const query = textOf(QUERY);
  if (query !== 'INVENTORY') return invalid(query === '' ? 'inventory has no QUERY, expected INVENTORY' : `inventory QUERY is ${JSON.stringify(query)}, expected INVENTORY`);
  const deviceId = textOf(DEVICEID);
  if (deviceId === '') return invalid('inventory has no DEVICEID');
  if (CONTENT === null || typeof CONTENT !== 'object' || Array.isArray(CONTENT)) return invalid('inventory has no CONTENT');
  return { kind: 'ok', inventory: normalize(deviceId, CONTENT as Record<string, unknown>) };
}

const utf8 = new TextDecoder('utf-8', { fatal: true }); // also drops a leading BOM

/**
 * Reads a FusionInventory/OCS XML inventory as the Flyve agent sends it (MQTT `Status/Inventory`, or the
 * REST `_inventory` once base64-decoded). Accepts a UTF-8 BOM, leading whitespace, real CDATA and the
 * escaped-CDATA quirk. Refuses, with the reason: over {@link MAX_INVENTORY_BYTES}, not UTF-8, a DOCTYPE or
 * ENTITY declaration, XML that is not well-formed (with line and column), a root other than REQUEST, a QUERY
 * other than INVENTORY, no DEVICEID, no CONTENT.
 */
export function parseInventoryXml(input: string | Buffer): InventoryReading {
  const size = typeof input === 'string' ? (input.length > MAX_INVENTORY_BYTES ? input.length : Buffer.byteLength(input, 'utf8')) : input.length;
  if (size > MAX_INVENTORY_BYTES) return invalid(`inventory is ${size} bytes, over the 4 MiB limit`);
  let xml: string;
  try {
    xml = typeof input === 'string' ? input.replace(/^\uFEFF/, '') : utf8.decode(input);
  } catch {
    return invalid('inventory is not UTF-8');
  }
  xml = xml.trimStart();
  return xml === '' ? invalid('inventory is empty') : readDocument(xml);
}

const BASE64 = /^[A-Za-z0-9+/]*$/;

/**
 * Reads the `inventory` field of an enrollment (flyve-mdm.md §B.3): base64 of the XML, with or without
 * padding and line breaks (Android's `Base64.DEFAULT` wraps at 76 columns). Then as {@link parseInventoryXml}.
 */
export function decodeEnrollmentInventory(base64: string): InventoryReading {
  const compact = base64.replace(/\s+/g, '');
  if (compact === '') return invalid('enrollment inventory is empty');
  if (compact.length > Math.ceil(MAX_INVENTORY_BYTES / 3) * 4) return invalid('enrollment inventory is over the 4 MiB limit');
  const digits = compact.replace(/={1,2}$/, '');
  const padded = digits.length !== compact.length;
  if (!BASE64.test(digits) || digits.length % 4 === 1 || (padded && compact.length % 4 !== 0)) return invalid('enrollment inventory is not base64');
  return parseInventoryXml(Buffer.from(digits, 'base64'));
}
