import { readFileSync } from 'node:fs';
import { applyBatch, type StoredMessage } from '@flotilla/bus';
import { DeviceInventoryReported } from '@flotilla/contracts';
import { readCheckpoint, resetCheckpoint } from '@flotilla/db';
import { createHttpServer, createLogger, parseApiKeys } from '@flotilla/service-kit';
import { createTestSchema, testEnvironment, type TestSchema } from '@flotilla/testing';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import type { InventoryContext, InventoryTables } from '../context.js';
import { diffInventories } from '../inventory-document/inventory-diff.js';
import { type NormalizedInventory, parseInventoryXml } from '../inventory-document/inventory-document.js';
import { inventoryDocumentsProjector as projector } from './inventory.projector.js';
import { inventoryRoutes } from './inventory.routes.js';

const xml = (name: string) => readFileSync(new URL(`../inventory-document/fixtures/${name}`, import.meta.url), 'utf8');
const [s9, s9Later, a50, tab300] = ['phone-galaxy-s9.xml', 'phone-galaxy-s9-later.xml', 'phone-galaxy-a50-escaped-cdata.xml', 'tablet-galaxy-tab-a-300-packages.xml'].map(xml) as [string, string, string, string];
const normalized = (document: string): NormalizedInventory => (parseInventoryXml(document) as { inventory: NormalizedInventory }).inventory;
const nul = s9.replace('<NAME>SM-G960F</NAME>', '<NAME>SM-G960F\u0000</NAME>');

// One stream for the whole file: [tenant, device, document]; the stream sequence is the index + 1.
const STREAM: [string, string, string][] = [
  ['acme', 'phone-1', s9],
  ['acme', 'tablet-1', tab300],
  ['acme', 'phone-2', a50],
  ['globex', 'phone-1', a50],
  ['acme', 'phone-3', s9],
  ['acme', 'phone-1', s9Later],
  ['acme', 'phone-3', xml('broken-truncated.xml')],
  ['acme', 'phone-4', xml('broken-doctype-entity.xml')],
  ['acme', 'phone-3', s9Later],
  ['acme', 'phone-5', nul],
  ['acme', 'phone-6', s9],
  ['acme', 'phone-6', xml('broken-wrong-root.xml')],
];
const receivedAt = (seq: number) => new Date(Date.UTC(2018, 11, 10, 14, seq));
const messages: StoredMessage[] = STREAM.map(([tenant, deviceId, document], index) => {
  const seq = index + 1;
  const data = { deviceId, format: 'fusioninventory-xml', document, inventoryDeviceId: null, receivedAt: receivedAt(seq) };
  const envelope = { id: `inv-${seq}`, type: 'DeviceInventoryReported', version: 1, tenant, subjectId: deviceId, occurredAt: receivedAt(seq), causationId: null, correlationId: `inv-${seq}`, data };
  return { seq, subject: DeviceInventoryReported.subject(tenant, deviceId), data: new TextEncoder().encode(JSON.stringify(envelope)) };
});
const TABLES = ['device_inventories', 'device_attributes', 'device_networks', 'device_batteries', 'device_software', 'device_components', 'inventory_changes'];

let s: TestSchema<InventoryTables>;
let app: FastifyInstance;

/** Applies messages as the bus does, in one transaction with the checkpoint, without NATS. */
async function feed(batch: readonly StoredMessage[]) {
  const { generation } = await readCheckpoint(s.db, projector.name);
  return applyBatch(s.db, projector, batch, { stream: 'DEVICES', generation, deadLetter: async (m, reason) => expect.fail(`seq ${m.seq} dead-lettered: ${reason}`) });
}
const snapshot = async () => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, (await sql`SELECT * FROM ${sql.table(t)} AS t ORDER BY t::text`.execute(s.db)).rows])));
const inventoryOf = (tenant: string, device: string) => s.db.selectFrom('device_inventories').selectAll().where('tenant', '=', tenant).where('device_id', '=', device).executeTakeFirstOrThrow();
const rowsOf = async (table: string, tenant: string, device: string) => (await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} AS t WHERE tenant = ${tenant} AND device_id = ${device} ORDER BY t::text`.execute(s.db)).rows;
const get = (url: string, tenant: 'acme' | 'globex' = 'acme') => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tenant}-static-key` } });

beforeAll(async () => {
  s = await createTestSchema<InventoryTables>(testEnvironment().databaseUrl, migrations);
  expect(await feed(messages)).toMatchObject({ applied: messages.map((m) => m.seq), deadLettered: [] });
  // The real server (zod validation and serialization, its 400 answer), with a static key per tenant.
  app = await createHttpServer({
    logger: createLogger({ level: 'silent', name: 'inventory-test' }),
    metrics: new Registry(),
    apiKeys: parseApiKeys('acme:acme-static-key,globex:globex-static-key'),
    routes: [inventoryRoutes({ db: s.db } as InventoryContext)],
    checks: [],
  });
});
afterAll(async () => {
  await app?.close();
  await s?.drop();
});

describe('inventory-documents projection', () => {
  it('normalizes the Galaxy S9 and records exactly what changed a week later', async () => {
    expect(await inventoryOf('acme', 'phone-1')).toMatchObject({ document: s9Later, parse_error: null, last_seq: 6, inventory_device_id: 'SM-G960F-2018-12-17-09-15-02', agent_version: 'MDM Agent/2.0.0', normalized: normalized(s9Later) });
    const attributes = await s.db.selectFrom('device_attributes').selectAll().where('tenant', '=', 'acme').where('device_id', '=', 'phone-1').execute();
    const attribute = (scope: string, key: string) => attributes.find((a) => a.scope === scope && a.key === key);
    expect(attribute('bios', 'ssn')).toMatchObject({ source: 'flyve-inventory', value: 'R58M123ABC', updated_seq: 1 }); // unchanged since the first
    expect(attribute('inventory', 'deviceId')).toMatchObject({ value: 'SM-G960F-2018-12-17-09-15-02', updated_seq: 6, updated_at: receivedAt(6) });
    expect(attribute('os', 'timezone_name')?.value).toBe('CET');
    expect(attribute('hardware', 'uuid')?.value).toBe('a3f1c9e27b4d0f86');
    const software = await s.db.selectFrom('device_software').selectAll().where('tenant', '=', 'acme').where('device_id', '=', 'phone-1').execute();
    expect(software).toHaveLength(20);
    expect(software.map((app) => app.package_name)).toContain('org.fdroid.fdroid');
    expect(software.map((app) => app.package_name)).not.toContain('com.facebook.katana');
    expect(software.find((app) => app.package_name === 'org.telegram.messenger')).toMatchObject({ name: 'Telegram', version: '5.1.1', fields: expect.objectContaining({ filesize: '18350080' }) });
    expect(await s.db.selectFrom('device_networks').select(['ip_address', 'mac_address']).where('device_id', '=', 'phone-1').where('tenant', '=', 'acme').execute()).toEqual([{ ip_address: '192.168.1.57', mac_address: '8c:f5:a3:4e:12:9b' }]);
    expect(await s.db.selectFrom('device_batteries').select('level_percent').where('device_id', '=', 'phone-1').where('tenant', '=', 'acme').execute()).toEqual([{ level_percent: 64 }]);
    const changes = await s.db.selectFrom('inventory_changes').selectAll().where('tenant', '=', 'acme').where('device_id', '=', 'phone-1').orderBy('ordinal').execute();
    expect(changes.every((c) => c.seq === 6 && c.occurred_at.getTime() === receivedAt(6).getTime())).toBe(true);
    expect(changes.map(({ section, key, change, before, after }) => ({ section, key, change, before, after }))).toEqual([
      { section: 'batteries', key: '#1', change: 'changed', before: { level: '87%', capacity: '87' }, after: { level: '64%', capacity: '64' } },
      { section: 'networks', key: '8c:f5:a3:4e:12:9b', change: 'changed', before: { ipaddress: '192.168.1.23' }, after: { ipaddress: '192.168.1.57' } },
      { section: 'software', key: 'com.facebook.katana', change: 'removed', before: expect.objectContaining({ name: 'Facebook', version: '200.0.0.36.93' }), after: null },
      { section: 'software', key: 'org.fdroid.fdroid', change: 'added', before: null, after: expect.objectContaining({ name: 'F-Droid', version: '1.5.1' }) },
      { section: 'software', key: 'org.telegram.messenger', change: 'changed', before: { version: '5.0.1', filesize: '17825792' }, after: { version: '5.1.1', filesize: '18350080' } },
    ]);
  });

  it('stores 300 packages, plain values from escaped CDATA, and keeps tenants apart', async () => {
    expect(await rowsOf('device_software', 'acme', 'tablet-1')).toHaveLength(300);
    const a50Software = await s.db.selectFrom('device_software').select('name').where('tenant', '=', 'acme').where('device_id', '=', 'phone-2').orderBy('position').execute();
    expect(a50Software.map((row) => row.name)).toEqual(['Samsung Notes', 'Météo-France', 'Chrome', 'Outlook', 'Flyve MDM']);
    for (const table of ['device_attributes', 'device_software', 'device_networks', 'device_batteries', 'device_components']) {
      expect(JSON.stringify(await rowsOf(table, 'acme', 'phone-2'))).not.toMatch(/CDATA|&lt;|&gt;/);
    }
    expect(JSON.stringify((await inventoryOf('acme', 'phone-2')).normalized)).not.toMatch(/CDATA|&lt;|&gt;/);
    const serial = (tenant: string) => s.db.selectFrom('device_attributes').select('value').where('tenant', '=', tenant).where('device_id', '=', 'phone-1').where('scope', '=', 'bios').where('key', '=', 'ssn').executeTakeFirst();
    expect([await serial('acme'), await serial('globex')]).toEqual([{ value: 'R58M123ABC' }, { value: 'RF8M90XYZAB' }]);
    expect(await rowsOf('device_software', 'globex', 'phone-1')).toHaveLength(5);
    expect(await rowsOf('inventory_changes', 'globex', 'phone-1')).toEqual([]);
    expect(await rowsOf('inventory_changes', 'acme', 'tablet-1')).toEqual([]);
  });

  it('keeps a broken document raw with its reason, changes nothing else, and compares the next good one with the last good one', async () => {
    const broken = xml('broken-wrong-root.xml');
    expect(await inventoryOf('acme', 'phone-6')).toMatchObject({ document: broken, parse_error: expect.stringMatching(/root is <REPLY>/), last_seq: 12, received_at: receivedAt(12), parsed_at: receivedAt(11), normalized: normalized(s9), inventory_device_id: 'SM-G960F-2018-12-10-14-02-33' });
    expect(await rowsOf('device_software', 'acme', 'phone-6')).toHaveLength(20);
    const attributes = await rowsOf('device_attributes', 'acme', 'phone-6');
    expect(attributes.every((a) => a.updated_seq === 11)).toBe(true);
    expect(attributes).toContainEqual(expect.objectContaining({ scope: 'inventory', key: 'deviceId', value: 'SM-G960F-2018-12-10-14-02-33' }));
    expect(attributes).toHaveLength((await rowsOf('device_attributes', 'acme', 'phone-1')).length);
    expect(await rowsOf('inventory_changes', 'acme', 'phone-6')).toEqual([]);
    expect(await inventoryOf('acme', 'phone-4')).toMatchObject({ parse_error: expect.stringMatching(/DOCTYPE/), normalized: null, agent_version: null, parsed_at: null });
    expect(await rowsOf('device_attributes', 'acme', 'phone-4')).toEqual([]);
    // A NUL cannot be stored in PostgreSQL: the document is kept with it replaced, and refused.
    expect(await inventoryOf('acme', 'phone-5')).toMatchObject({ document: nul.replace('\u0000', '\uFFFD'), parse_error: expect.stringMatching(/NUL/), normalized: null });
    const phone3 = await s.db.selectFrom('inventory_changes').select(['seq', 'section', 'key', 'change', 'before', 'after']).where('tenant', '=', 'acme').where('device_id', '=', 'phone-3').orderBy('ordinal').execute();
    expect(phone3.every((c) => c.seq === 9)).toBe(true);
    expect(phone3.map(({ seq: _, ...change }) => change)).toEqual(diffInventories(normalized(s9), normalized(s9Later)));
  });

  it('makes a redelivered event, a replay twice and a resume from a mid-stream checkpoint no-ops', async () => {
    const before = await snapshot();
    await s.db.transaction().execute(async (trx) => {
      for (const m of messages) await projector.apply(trx, DeviceInventoryReported.parse(JSON.parse(new TextDecoder().decode(m.data))), { seq: m.seq, subject: m.subject });
    });
    expect(await snapshot()).toEqual(before);
    expect(await feed(messages)).toMatchObject({ applied: [], skipped: messages.map((m) => m.seq) });
    await s.db.updateTable('projection_checkpoint').set({ last_seq: 5 }).where('projection', '=', projector.name).execute();
    expect((await feed(messages)).applied).toEqual(messages.slice(5).map((m) => m.seq));
    expect(await snapshot()).toEqual(before);
  });

  it('rebuilds identical rows when replayed from scratch (a reset, then everything truncated)', async () => {
    const before = await snapshot();
    for (const truncated of [projector.tables, TABLES]) {
      await s.db.transaction().execute(async (trx) => {
        await resetCheckpoint(trx, projector.name, 'DEVICES');
        await sql`TRUNCATE ${sql.join(truncated.map((t) => sql.table(t)))}`.execute(trx);
      });
      await feed(messages);
      expect(await snapshot()).toEqual(before);
    }
  });
});

describe('inventory routes', () => {
  it('answers the normalized inventory, the raw document, and 404 for unknown or other-tenant devices', async () => {
    const res = await get('/api/v1/devices/phone-1/inventory');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ deviceId: 'phone-1', receivedAt: receivedAt(6).toISOString(), inventoryDeviceId: 'SM-G960F-2018-12-17-09-15-02', agentVersion: 'MDM Agent/2.0.0', parseError: null, softwareCount: 20 });
    expect(body.attributes.bios).toMatchObject({ ssn: 'R58M123ABC', smodel: 'SM-G960F' });
    expect(Object.keys(body.attributes).sort()).toEqual(['bios', 'hardware', 'os']);
    expect(body.networks).toEqual([expect.objectContaining({ ipAddress: '192.168.1.57', macAddress: '8c:f5:a3:4e:12:9b', type: 'WIFI' })]);
    expect(body.batteries).toEqual([expect.objectContaining({ levelPercent: 64 })]);
    expect(Object.fromEntries(Object.entries(body.components as Record<string, unknown[]>).map(([kind, items]) => [kind, items.length]))).toEqual({ cpu: 1, memory: 1, drive: 3, simcard: 1, sensor: 6 });
    const doc = await get('/api/v1/devices/phone-1/inventory/document');
    expect([doc.statusCode, doc.headers['content-type'], doc.body]).toEqual([200, 'application/xml; charset=utf-8', s9Later]);
    expect((await get('/api/v1/devices/phone-4/inventory')).json()).toMatchObject({ parseError: expect.stringMatching(/DOCTYPE/), attributes: { hardware: {}, bios: {}, os: {} }, softwareCount: 0 });
    for (const url of ['/inventory', '/inventory/document', '/software', '/inventory/changes']) {
      for (const [device, tenant] of [['nope', 'acme'], ['phone-2', 'globex']] as const) {
        const missing = await get(`/api/v1/devices/${device}${url}`, tenant);
        expect([missing.statusCode, missing.json()]).toEqual([404, { error: 'not_found', message: `no inventory for device ${device}` }]);
      }
    }
  });

  it('pages software by name and changes newest first, and refuses bad queries', async () => {
    const names: string[] = [];
    let cursor: string | null = '';
    for (let pages = 0; cursor !== null; pages += 1) {
      const page: { items: { name: string }[]; nextCursor: string | null } = (await get(`/api/v1/devices/tablet-1/software?limit=120${cursor ? `&cursor=${cursor}` : ''}`)).json();
      names.push(...page.items.map((item) => item.name));
      cursor = page.nextCursor;
      expect(pages).toBeLessThan(3);
    }
    const all = await s.db.selectFrom('device_software').select('name').where('tenant', '=', 'acme').where('device_id', '=', 'tablet-1').orderBy('name').orderBy('position').execute();
    expect(names).toEqual(all.map((row) => row.name));
    const telegram = (await get('/api/v1/devices/phone-1/software?q=TELEGRAM')).json();
    expect(telegram).toEqual({ items: [expect.objectContaining({ name: 'Telegram', packageName: 'org.telegram.messenger', version: '5.1.1', installDate: '2018-10-14' })], nextCursor: null });
    const first = (await get('/api/v1/devices/phone-3/inventory/changes?limit=3')).json();
    const rest = (await get(`/api/v1/devices/phone-3/inventory/changes?limit=3&before=${first.nextBefore}`)).json();
    expect([...first.items, ...rest.items].map((c: { key: string }) => c.key)).toEqual(diffInventories(normalized(s9), normalized(s9Later)).map((c) => c.key));
    expect(rest.nextBefore).toBeNull();
    for (const url of ['/software?limit=0', '/software?cursor=nonsense', '/inventory/changes?before=eyJ4IjoxfQ']) {
      expect((await get(`/api/v1/devices/phone-1${url}`)).json()).toMatchObject({ error: 'bad_request' });
    }
  });
});
