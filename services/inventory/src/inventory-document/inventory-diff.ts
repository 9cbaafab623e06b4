import type { InventoryFields, NormalizedInventory } from './inventory-document.js';

/**
 * One difference between two inventories of a device.
 * - `section`: `inventory` (agentVersion, invitationTag), `hardware`, `bios`, `os`, a list section
 *   (`cpus`, `memories`, `drives`, `networks`, `batteries`, `simcards`, `sensors`, `software`), or
 *   `other.<tag>` for a section kept in `other`.
 * - `key`: the field name in a field map; in a list, the item's identity (see {@link diffInventories}).
 * - `before`/`after`: a field's value, or for a list item its field map — whole when the item is added or
 *   removed, only the fields that differ when it changed. A side that has nothing is `null`.
 */
export interface InventoryChange {
  section: string;
  key: string;
  change: 'added' | 'removed' | 'changed';
  before: unknown;
  after: unknown;
}

type Identity = (item: InventoryFields) => string | undefined;
type ListSection = 'cpus' | 'memories' | 'drives' | 'networks' | 'batteries' | 'simcards' | 'sensors';

// Natural keys where the agent gives one. A package name (COMMENTS) is unique on Android and survives an
// app renaming itself, so it comes before the display name. Lists without one are matched by position.
const LISTS: readonly [ListSection, Identity][] = [
  ['cpus', () => undefined],
  ['memories', () => undefined],
  ['drives', (item) => item.volumn],
  ['networks', (item) => item.macaddr || item.description],
  ['batteries', (item) => item.name],
  ['simcards', (item) => item.serial],
  ['sensors', (item) => item.name],
];
const softwareIdentity: Identity = (item) => item.comments || item.name;

// ACCESSLOG holds the time of the report itself: it differs every time and says nothing about the device.
const NOT_COMPARED = new Set(['accesslog']);

function fieldChanges(section: string, before: Record<string, string>, after: Record<string, string>): InventoryChange[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].flatMap((key): InventoryChange[] => {
    const [was, is] = [Object.hasOwn(before, key) ? before[key] : undefined, Object.hasOwn(after, key) ? after[key] : undefined];
    if (was === is) return [];
    const change = was === undefined ? 'added' : is === undefined ? 'removed' : 'changed';
    return [{ section, key, change, before: was ?? null, after: is ?? null }];
  });
}

function keyed(items: readonly InventoryFields[], identity: Identity): Map<string, InventoryFields> {
  const byKey = new Map<string, InventoryFields>();
  items.forEach((item, index) => {
    const base = identity(item) || `#${index + 1}`;
    let key = base;
    for (let n = 2; byKey.has(key); n += 1) key = `${base} #${n}`; // two items with one identity stay apart
    byKey.set(key, item);
  });
  return byKey;
}

function itemChanges(section: string, before: readonly InventoryFields[], after: readonly InventoryFields[], identity: Identity): InventoryChange[] {
  const [was, is] = [keyed(before, identity), keyed(after, identity)];
  return [...new Set([...was.keys(), ...is.keys()])].flatMap((key): InventoryChange[] => {
    const [a, b] = [was.get(key), is.get(key)];
    if (a === undefined || b === undefined) return [{ section, key, change: a ? 'removed' : 'added', before: a ?? null, after: b ?? null }];
    const differing = fieldChanges(section, a, b);
    if (differing.length === 0) return [];
    const side = (pick: 'before' | 'after') => Object.fromEntries(differing.map((c) => [c.key, c[pick]]));
    return [{ section, key, change: 'changed', before: side('before'), after: side('after') }];
  });
}

const otherItems = (inventory: NormalizedInventory, name: string) => (Object.hasOwn(inventory.other, name) ? (inventory.other[name] ?? []) : []);

const numeric = new Intl.Collator('en', { numeric: true });
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What changed on a device between two of its inventories, sorted by section then key (numeric-aware, so
 * `#2` comes before `#10`). The first inventory of a device (`before` null) yields no changes: there is
 * nothing to compare it with, and its contents are the inventory itself. DEVICEID is not compared (the
 * agent stamps it with the report time), nor is ACCESSLOG.
 *
 * List items are matched by identity: software by package name (COMMENTS) or else name, networks by MAC
 * address or else description, drives by volume, batteries and sensors by name, SIM cards by serial
 * (ICCID); anything else, or an item without its natural key, by position (`#1`, `#2`, …).
 */
export function diffInventories(before: NormalizedInventory | null, after: NormalizedInventory): InventoryChange[] {
  if (before === null) return [];
  const scalars = (inv: NormalizedInventory) =>
    Object.fromEntries(Object.entries({ agentVersion: inv.agentVersion, invitationTag: inv.invitationTag }).filter(([, v]) => v !== null)) as Record<string, string>;
  const otherSections = [...new Set([...Object.keys(before.other), ...Object.keys(after.other)])].filter((name) => !NOT_COMPARED.has(name));
  const changes = [
    ...fieldChanges('inventory', scalars(before), scalars(after)),
    ...fieldChanges('hardware', before.hardware, after.hardware),
    ...fieldChanges('bios', before.bios, after.bios),
    ...fieldChanges('os', before.os, after.os),
    ...LISTS.flatMap(([section, identity]) => itemChanges(section, before[section], after[section], identity)),
    ...itemChanges('software', before.software.map((s) => s.fields), after.software.map((s) => s.fields), softwareIdentity),
    ...otherSections.flatMap((name) => itemChanges(`other.${name}`, otherItems(before, name), otherItems(after, name), () => undefined)),
  ];
  return changes.sort((x, y) => byCodeUnit(x.section, y.section) || numeric.compare(x.key, y.key) || byCodeUnit(x.key, y.key));
}
