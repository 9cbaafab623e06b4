import { errorReplies, type ZodTypeProvider } from '@flotilla/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { InventoryContext } from '../context.js';
import type { InventoryFields } from '../inventory-document/inventory-document.js';
import { refuse } from '../http/replies.js';
import { COMPONENT_SECTIONS, FLYVE_INVENTORY_SOURCE } from './inventory.projector.js';
import { deviceAttributes, deviceBatteries, deviceComponents, deviceNetworks, findInventory, inventoryDocument, listChanges, listSoftware, softwareCount } from './inventory.queries.js';
import type { ComponentKind } from './inventory.table.js';

/** An opaque page cursor: base64url of the JSON `schema` describes. */
function cursor<S extends z.ZodType>(schema: S) {
  return z.string().transform((value, ctx): z.output<S> => {
    try {
      return schema.parse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a cursor this API returned' });
      return z.NEVER;
    }
  });
}
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const SoftwareQuery = z.object({
  q: z.string().min(1).max(100).optional().describe('a substring of the name or package name (any case)'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: cursor(z.object({ n: z.string(), p: z.number().int().min(0) }))
    .optional()
    .describe('`nextCursor` of the previous page, with the same `q`'),
});
const ChangesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: cursor(z.object({ s: z.number().int().min(1), o: z.number().int().min(0) }))
    .optional()
    .describe('`nextBefore` of the previous page'),
});

const Fields = z
  .record(z.string(), z.string())
  .describe('every field of the item or section: the FusionInventory tag lowercased (a nested one joined with `_`), each value trimmed text')
  .meta({ id: 'InventoryFields' }) satisfies z.ZodType<InventoryFields>;
const Attributes = z.object({ hardware: Fields, bios: Fields, os: Fields }).catchall(Fields).describe('single-valued sections (hardware, bios, os), each a field map');
const componentKinds = Object.values(COMPONENT_SECTIONS) as ComponentKind[];
const Inventory = z.object({
  deviceId: z.string(),
  receivedAt: z.iso.datetime().describe('when the latest document (parsed or not) was received'),
  parsedAt: z.iso.datetime().nullable().describe('when the latest document that parsed was received; null until one has'),
  inventoryDeviceId: z.string().nullable().describe('`REQUEST/DEVICEID` of the latest document that parsed'),
  agentVersion: z.string().nullable(),
  parseError: z.string().nullable().describe('why the latest document was refused; null when it parsed (the other fields then describe the last one that did)'),
  attributes: Attributes,
  networks: z.array(z.object({ description: z.string().nullable(), macAddress: z.string().nullable(), ipAddress: z.string().nullable(), type: z.string().nullable(), fields: Fields })),
  batteries: z.array(z.object({ name: z.string().nullable(), levelPercent: z.number().int().min(0).max(100).nullable(), fields: Fields })),
  components: z
    .object(Object.fromEntries(componentKinds.map((kind) => [kind, z.array(Fields)])) as Record<ComponentKind, z.ZodArray<typeof Fields>>)
    .describe('the other list sections (CPUS, MEMORIES, DRIVES, SIMCARDS, SENSORS) by kind, in document order'),
  softwareCount: z.number().int().min(0).describe('installed packages: `GET /api/v1/devices/{id}/software` lists them'),
});
const Software = z.object({
  name: z.string(),
  version: z.string().nullable(),
  packageName: z.string().nullable(),
  publisher: z.string().nullable(),
  installDate: z.iso.date().nullable().describe('INSTALLDATE when it is a date'),
  fields: Fields,
});
const SoftwarePage = z.object({ items: z.array(Software), nextCursor: z.string().nullable().describe('`cursor` of the next page; null on the last') });
const ChangeValue = z
  .union([z.string(), z.record(z.string(), z.string().nullable())])
  .nullable()
  .describe('a field: its value; a list item: its fields (only those that changed when `change` is changed, null for a field it lacks); null when absent');
const Change = z.object({
  seq: z.number().int().describe('the stream sequence of the inventory that brought the change'),
  occurredAt: z.iso.datetime(),
  section: z.string().describe('hardware, bios, os, inventory, a list section (software, networks, …) or `other.<section>`'),
  key: z.string().describe('the field, or the item (its natural key, else `#<position>`)'),
  change: z.enum(['added', 'removed', 'changed']),
  before: ChangeValue,
  after: ChangeValue,
});
const ChangesPage = z.object({ items: z.array(Change), nextBefore: z.string().nullable().describe('`before` of the next page; null on the last') });
const Id = z.object({ id: z.string() });
const tags = ['inventory'];
const noInventory = errorReplies({ 404: 'no device with an inventory with this id in the tenant: `not_found`' });

const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * `/api/v1/devices/:id/inventory…` and `/software`: the latest inventory of a device of the caller's
 * tenant (normalized, and as sent), its packages and the history of its changes. A device without an
 * inventory, or of another tenant, is 404.
 */
export function inventoryRoutes(ctx: InventoryContext): FastifyPluginAsync {
  const notFound = (id: string) => `no inventory for device ${id}`;
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const inventorySchema = { tags, summary: 'Reads the latest inventory of a device, normalized', params: Id, response: { 200: Inventory.describe('the inventory'), ...noInventory } };
    app.get('/api/v1/devices/:id/inventory', { schema: inventorySchema }, async (request, reply) => {
      const { tenant } = request;
      const { id } = request.params;
      const header = await findInventory(ctx.db, tenant, id);
      if (!header) return refuse(reply, 404, 'not_found', notFound(id));
      const [attributes, networks, batteries, components, software] = await Promise.all([
        deviceAttributes(ctx.db, tenant, id, FLYVE_INVENTORY_SOURCE),
        deviceNetworks(ctx.db, tenant, id),
        deviceBatteries(ctx.db, tenant, id),
        deviceComponents(ctx.db, tenant, id),
        softwareCount(ctx.db, tenant, id),
      ]);
      // The `inventory` scope (agent version, DEVICEID) is shown as the header fields.
      const scopes: z.output<typeof Attributes> = { hardware: {}, bios: {}, os: {} };
      for (const row of attributes) if (row.scope !== 'inventory') scopes[row.scope] = { ...scopes[row.scope], [row.key]: row.value };
      const byKind = Object.fromEntries(Object.values(COMPONENT_SECTIONS).map((kind) => [kind, [] as InventoryFields[]])) as Record<ComponentKind, InventoryFields[]>;
      for (const row of components) byKind[row.kind].push(row.fields);
      return {
        deviceId: header.device_id,
        receivedAt: header.received_at.toISOString(),
        parsedAt: iso(header.parsed_at),
        inventoryDeviceId: header.inventory_device_id,
        agentVersion: header.agent_version,
        parseError: header.parse_error,
        attributes: scopes,
        networks: networks.map((n) => ({ description: n.description, macAddress: n.mac_address, ipAddress: n.ip_address, type: n.type, fields: n.fields })),
        batteries: batteries.map((b) => ({ name: b.name, levelPercent: b.level_percent, fields: b.fields })),
        components: byKind,
        softwareCount: software,
      };
    });

    const documentSchema = {
      tags,
      summary: 'Reads the latest inventory document of a device, as it sent it',
      params: Id,
      response: { 200: { description: 'the FusionInventory XML, parsed or not', content: { 'application/xml': { schema: z.string() } } }, ...noInventory },
    };
    app.get('/api/v1/devices/:id/inventory/document', { schema: documentSchema }, async (request, reply) => {
      const document = await inventoryDocument(ctx.db, request.tenant, request.params.id);
      if (document === undefined) return refuse(reply, 404, 'not_found', notFound(request.params.id));
      return reply.type('application/xml; charset=utf-8').send(document);
    });

    const softwareSchema = { tags, summary: 'Lists and searches the packages a device has installed, by name, a page at a time', params: Id, querystring: SoftwareQuery, response: { 200: SoftwarePage.describe('a page of packages'), ...noInventory } };
    app.get('/api/v1/devices/:id/software', { schema: softwareSchema }, async (request, reply) => {
      const { query } = request;
      const { id } = request.params;
      if (!(await findInventory(ctx.db, request.tenant, id))) return refuse(reply, 404, 'not_found', notFound(id));
      const rows = await listSoftware(ctx.db, request.tenant, id, { q: query.q, limit: query.limit, after: query.cursor ? { name: query.cursor.n, position: query.cursor.p } : undefined });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map((s) => ({ name: s.name, version: s.version, packageName: s.package_name, publisher: s.publisher, installDate: s.install_date, fields: s.fields })),
        nextCursor: rows.length > query.limit && last ? encode({ n: last.name, p: last.position }) : null,
      };
    });

    const changesSchema = { tags, summary: 'Lists what changed between a device’s inventories, newest first, a page at a time', params: Id, querystring: ChangesQuery, response: { 200: ChangesPage.describe('a page of changes'), ...noInventory } };
    app.get('/api/v1/devices/:id/inventory/changes', { schema: changesSchema }, async (request, reply) => {
      const { query } = request;
      const { id } = request.params;
      if (!(await findInventory(ctx.db, request.tenant, id))) return refuse(reply, 404, 'not_found', notFound(id));
      const rows = await listChanges(ctx.db, request.tenant, id, { limit: query.limit, before: query.before ? { seq: query.before.s, ordinal: query.before.o } : undefined });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      // The projection stores InventoryChange values: a field's text, or an item's (changed) fields, or null.
      const value = (json: unknown) => json as z.output<typeof ChangeValue>;
      return {
        items: page.map((c) => ({ seq: c.seq, occurredAt: c.occurred_at.toISOString(), section: c.section, key: c.key, change: c.change, before: value(c.before), after: value(c.after) })),
        nextBefore: rows.length > query.limit && last ? encode({ s: last.seq, o: last.ordinal }) : null,
      };
    });
  };
}
