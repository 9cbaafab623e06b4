import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KEYS, startTestPlatform } from '@flotilla/cli/testing';
import { connectMqtt, endAll, testEnvironment, waitFor } from '@flotilla/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = (name: string) => readFile(path.join(root, 'services/inventory/src/inventory-document/fixtures', name));
let t: Awaited<ReturnType<typeof startTestPlatform>>;
let admin: string;
let inventory: string;

beforeAll(async () => {
  t = await startTestPlatform(testEnvironment().natsUrl, testEnvironment().databaseUrl);
  admin = t.platform.bootstrap!.key;
  inventory = (await fixture('phone-galaxy-s9.xml')).toString('base64');
});
afterAll(() => t.destroy());

// Answers are read as whatever each test expects of them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(method: string, route: string, key: string | undefined, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${t.platform.httpUrl}${route}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const invite = async (email = 'owner@example.com', extra: Record<string, unknown> = {}) => (await call('POST', '/api/v1/invitations', admin, { email, ...extra })).body as { id: string; token: string; deeplinkPayload: string };
const enrollment = (token: string, serial: string, extra: Record<string, unknown> = {}) => ({ invitationToken: token, email: 'owner@example.com', serial, type: 'android', version: '2.1.0', inventory, ...extra });

/** Connects as an enrolled Flyve agent and collects what it receives. */
async function agent(serial: string, password: string, tenant = 'demo'): Promise<{ client: MqttClient; received: { topic: string; payload: string }[] }> {
  const client = await connectMqtt(t.platform.mqttPort, { protocolVersion: 5, username: serial, password, clientId: serial, clean: true });
  const received: { topic: string; payload: string }[] = [];
  client.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
  await client.subscribeAsync(`${tenant}/agent/${serial}/Command/#`, { qos: 2 });
  return { client, received };
}

describe('operators', () => {
  it('the first start created a tenant and printed its admin key; keys carry roles', async () => {
    expect(t.platform.bootstrap).toMatchObject({ tenant: 'demo', key: expect.stringMatching(/^flt_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/) });
    expect(await call('GET', '/api/v1/tenant', admin)).toMatchObject({ status: 200, body: { id: 'demo', role: 'admin' } });
    const viewer = (await call('POST', '/api/v1/api-keys', admin, { name: 'wallboard', role: 'viewer' })).body as { id: string; key: string };
    const operator = (await call('POST', '/api/v1/api-keys', admin, { name: 'helpdesk', role: 'operator' })).body as { key: string };
    expect(await call('GET', '/api/v1/devices', viewer.key)).toMatchObject({ status: 200 });
    expect(await call('POST', '/api/v1/invitations', viewer.key, { email: 'a@example.com' })).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await call('POST', '/api/v1/invitations', operator.key, { email: 'a@example.com' })).toMatchObject({ status: 201 });
    expect(await call('POST', '/api/v1/api-keys', operator.key, { name: 'x', role: 'admin' })).toMatchObject({ status: 403 });
    const listed = (await call('GET', '/api/v1/api-keys', admin)).body as { items: { id: string; name: string }[] };
    expect(listed.items.map((k) => k.name)).toEqual(['demo admin', 'wallboard', 'helpdesk']);
    expect(JSON.stringify(listed)).not.toContain(viewer.key);
    expect(await call('DELETE', `/api/v1/api-keys/${viewer.id}`, admin)).toMatchObject({ status: 204 });
    expect(await call('GET', '/api/v1/devices', viewer.key)).toMatchObject({ status: 401 });
    expect(await call('GET', '/api/v1/devices', `${admin}x`)).toMatchObject({ status: 401 });
  });
});

describe('API documentation', () => {
  it('serves the OpenAPI document of every service’s routes at /docs/openapi.json, without a key', async () => {
    const { status, body: doc } = await call('GET', '/docs/openapi.json', undefined);
    expect(status).toBe(200);
    const enroll = doc.paths['/api/v1/enrollments'].post;
    expect(enroll.security).toBeUndefined();
    expect(Object.keys(enroll.responses)).toEqual(expect.arrayContaining(['201', '400', '403', '404', '409', '410', '422']));
    const devices = doc.paths['/api/v1/devices'].get;
    expect(devices.security).toEqual([{ apiKey: ['viewer'] }]);
    const query = devices.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name);
    expect(query).toEqual(expect.arrayContaining(['status', 'q', 'sort', 'order', 'limit', 'cursor']));
    const invite = doc.paths['/api/v1/invitations'].post;
    expect(invite.security).toEqual([{ apiKey: ['operator'] }]);
    expect(invite.requestBody.content['application/json'].schema).toMatchObject({ required: ['email'], properties: { email: { type: 'string', format: 'email' } } });
    expect(doc.paths['/api/v1/devices/{id}/positions'].get).toMatchObject({ security: [{ apiKey: ['viewer'] }], parameters: expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'id' })]) });
    expect((await fetch(`${t.platform.httpUrl}/docs`)).headers.get('content-type')).toMatch(/^text\/html/);
  });
});

describe('policy catalog', () => {
  it('serves every policy a client can build a form from (policy-service)', async () => {
    const catalog = (await call('GET', '/api/v1/policies/catalog', admin)).body as { items: { symbol: string; default: unknown; valueSchema: object }[] };
    expect(catalog.items).toHaveLength(42);
    expect(catalog.items.find((p) => p.symbol === 'maximumTimeToLock')).toMatchObject({ default: 60000, valueSchema: { type: 'integer' } });
    expect(await call('GET', '/api/v1/policies/catalog/MaximumTimeToLock', admin)).toMatchObject({ status: 404, body: { message: expect.stringMatching(/maximumTimeToLock/) } });
  });
});

describe('tenants', () => {
  it('`flotilla tenant add` creates a tenant with an admin key that sees only that tenant; an id is taken once', async () => {
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', 'tenant', 'add', ...args], { cwd: root, env: { ...process.env, ...t.env } });
    const { stdout } = await cli('--id', 'initech', '--name', 'Initech');
    const key = /^(flt_\S+)$/m.exec(stdout)![1]!;
    expect(await call('GET', '/api/v1/tenant', key)).toMatchObject({ status: 200, body: { id: 'initech', name: 'Initech', role: 'admin' } });
    expect((await call('GET', '/api/v1/devices', key)).body).toEqual({ items: [], nextCursor: null });
    await expect(cli('--id', 'initech')).rejects.toMatchObject({ stderr: expect.stringMatching(/tenant initech exists/) });
    await expect(cli('--id', 'Not.Valid')).rejects.toMatchObject({ stderr: expect.stringMatching(/tenant id/) });
  }, 60_000);
});

describe('enrollment', () => {
  let password = '';

  it('invite → enroll → connect with the issued credentials → publish → visible', async () => {
    const invitation = await invite();
    expect(invitation.token).toMatch(/^[0-9a-f]{64}$/);
    const fields = Buffer.from(invitation.deeplinkPayload, 'base64').toString('utf8').split('\\;');
    expect(fields).toHaveLength(7);
    expect(fields[2]).toBe(invitation.token);

    const enrolled = await call('POST', '/api/v1/enrollments', undefined, enrollment(invitation.token, 'R58M123ABC'));
    expect(enrolled).toMatchObject({ status: 201, body: { id: 'R58M123ABC', topic: 'demo/agent/R58M123ABC', fleet: null, mqtt: { port: t.platform.mqttPort, username: 'R58M123ABC', tls: false } } });
    password = enrolled.body.mqtt.password;
    expect(password.length).toBeGreaterThanOrEqual(32);

    const { client, received } = await agent('R58M123ABC', password);
    // The agent learns it follows no managed fleet (flyve-mdm.md §B.3: Subscribe with topic null).
    await waitFor('Command/Subscribe', () => received.find((m) => m.topic.endsWith('/Command/Subscribe')));
    expect(JSON.parse(received.find((m) => m.topic.endsWith('/Command/Subscribe'))!.payload)).toEqual({ subscribe: [{ topic: null }] });
    await client.publishAsync('demo/agent/R58M123ABC/Status/Ping', '!', { qos: 1 });
    const device = await waitFor('registry row', async () => {
      const response = await call('GET', '/api/v1/devices/R58M123ABC', admin);
      return response.status === 200 && response.body.online ? response.body : undefined;
    });
    expect(device).toMatchObject({ serial: 'R58M123ABC', enrollmentStatus: 'enrolled', dialect: 'flyve', type: 'android', agentVersion: '2.1.0', email: 'owner@example.com', online: true });
    expect(device.lastSeenAt).not.toBeNull();
    const invitations = (await call('GET', '/api/v1/invitations', admin)).body as { items: { id: string; status: string; deviceId: string | null }[] };
    await waitFor('invitation done', async () => ((await call('GET', `/api/v1/invitations/${invitation.id}`, admin)).body.status === 'done' ? true : undefined));
    expect(invitations.items.length).toBeGreaterThan(0);
    // The enrollment inventory is parsed into the device's inventory.
    const stored = await waitFor('inventory', async () => {
      const response = await call('GET', '/api/v1/devices/R58M123ABC/inventory', admin);
      return response.status === 200 ? response.body : undefined;
    });
    expect(stored).toMatchObject({ attributes: { bios: { ssn: 'R58M123ABC' } }, softwareCount: 20, parseError: null });
    await endAll(client);
  });

  it('an inventory request reaches the agent; its answer is stored with what changed', async () => {
    const { client, received } = await agent('R58M123ABC', password);
    expect(await call('POST', '/api/v1/devices/R58M123ABC/inventory-requests', admin, {})).toMatchObject({ status: 202 });
    const request = await waitFor('Command/Inventory', () => received.find((m) => m.topic === 'demo/agent/R58M123ABC/Command/Inventory'));
    expect(JSON.parse(request.payload)).toEqual({ query: 'Inventory' });
    await client.publishAsync('demo/agent/R58M123ABC/Status/Inventory', await fixture('phone-galaxy-s9-later.xml'), { qos: 1 });
    const changes = await waitFor('inventory changes', async () => {
      const body = (await call('GET', '/api/v1/devices/R58M123ABC/inventory/changes', admin)).body as { items: { section: string; change: string }[] };
      return body.items.length > 0 ? body.items : undefined;
    });
    expect(changes.filter((c) => c.section === 'software').map((c) => c.change).sort()).toEqual(['added', 'changed', 'removed']);
    await endAll(client);
  });

  it('refuses a wrong password', async () => {
    const refused = await connectMqtt(t.platform.mqttPort, { protocolVersion: 5, username: 'R58M123ABC', password: `${password}x`, clientId: 'R58M123ABC', reconnectPeriod: 0 }).catch((error: { code?: number }) => error);
    expect(refused).toMatchObject({ code: 0x86 });
  });

  it('refuses every bad enrollment with a 4xx and a reason, records it, and creates nothing', async () => {
    const used = await call('POST', '/api/v1/enrollments', undefined, enrollment((await invite()).token, 'SERIAL-A'));
    expect(used.status).toBe(201);
    const again = await call('POST', '/api/v1/enrollments', undefined, enrollment(used.body ? (await invite()).token : '', 'R58M123ABC'));
    expect(again).toMatchObject({ status: 409, body: { error: 'serial-in-use' } });
    const expiring = await invite('owner@example.com', { ttlDays: 1 / 86_400 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await call('POST', '/api/v1/enrollments', undefined, enrollment(expiring.token, 'SERIAL-B'))).toMatchObject({ status: 410, body: { error: 'invitation-expired' } });
    const fresh = await invite();
    expect(await call('POST', '/api/v1/enrollments', undefined, enrollment('0'.repeat(64), 'SERIAL-C'))).toMatchObject({ status: 404, body: { error: 'unknown-invitation' } });
    expect(await call('POST', '/api/v1/enrollments', undefined, enrollment(fresh.token, 'SERIAL-C', { inventory: Buffer.from('<REQUEST><QUERY>INVENTORY').toString('base64') }))).toMatchObject({ status: 422, body: { error: 'invalid-inventory' } });
    expect(await call('POST', '/api/v1/enrollments', undefined, enrollment(fresh.token, 'SERIAL-C', { version: '1.9.9' }))).toMatchObject({ status: 422, body: { error: 'unsupported-agent' } });
    expect(await call('POST', '/api/v1/enrollments', undefined, enrollment(fresh.token, 'SERIAL-C', { email: 'someone@else.com' }))).toMatchObject({ status: 403, body: { error: 'email-mismatch' } });
    expect(await call('POST', '/api/v1/enrollments', undefined, enrollment(fresh.token, 'Unknown'))).toMatchObject({ status: 400, body: { error: 'invalid-request', message: expect.stringMatching(/Android 8/) } });
    expect(await call('POST', '/api/v1/enrollments', undefined, enrollment(fresh.token, 'a/b'))).toMatchObject({ status: 400 });
    // None of those consumed the invitation or created a device.
    expect((await call('GET', '/api/v1/devices/SERIAL-C', admin)).status).toBe(404);
    expect(await call('POST', '/api/v1/enrollments', undefined, enrollment(fresh.token, 'SERIAL-C'))).toMatchObject({ status: 201 });
    expect(await call('POST', '/api/v1/enrollments', undefined, enrollment(fresh.token, 'SERIAL-D'))).toMatchObject({ status: 409, body: { error: 'invitation-used' } });
    const refusals = await waitFor('refusals recorded', async () => {
      const body = (await call('GET', '/api/v1/enrollment-refusals', admin)).body as { items: { reason: string }[] };
      return body.items.length >= 6 ? body.items : undefined;
    });
    expect(new Set(refusals.map((r) => r.reason))).toEqual(new Set(['serial-in-use', 'invitation-expired', 'invalid-inventory', 'unsupported-agent', 'email-mismatch', 'invitation-used']));
  });

  it('uses an invitation once when two devices race for it', async () => {
    const { token } = await invite();
    const answers = await Promise.all(['RACE-1', 'RACE-2', 'RACE-3'].map((serial) => call('POST', '/api/v1/enrollments', undefined, enrollment(token, serial))));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
  });

  it('accepts the Flyve agent form of the request ({"input":{…}})', async () => {
    const { token } = await invite();
    const answer = await call('POST', '/api/v1/enrollments', undefined, { input: { _email: 'owner@example.com', _invitation_token: token, _serial: 'FLYVE-FORM', _uuid: '', version: '2.0.0', type: 'android', inventory, notification_type: 'mqtt', csr: '', firstname: '', lastname: '', phone: '', has_system_permission: '0', notification_token: '' } });
    expect(answer).toMatchObject({ status: 201, body: { id: 'FLYVE-FORM' } });
  });

  it('isolates tenants: another tenant sees 404 for this tenant’s devices and cannot act on them', async () => {
    expect(await call('GET', '/api/v1/devices/R58M123ABC', KEYS.globex)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await call('POST', '/api/v1/devices/R58M123ABC/unenroll', KEYS.globex, {})).toMatchObject({ status: 404 });
    expect(await call('POST', '/api/v1/devices/R58M123ABC/credentials', KEYS.globex, {})).toMatchObject({ status: 404 });
    expect(await call('POST', '/api/v1/devices/R58M123ABC/inventory-requests', KEYS.globex, {})).toMatchObject({ status: 404 });
    expect((await call('GET', '/api/v1/devices', KEYS.globex)).body).toEqual({ items: [], nextCursor: null });
    expect((await call('GET', '/api/v1/invitations', KEYS.globex)).body).toEqual({ items: [] });
  });

  it('lists devices with filters, search, sorting and cursor pagination', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await call('GET', `/api/v1/devices?limit=2&status=enrolled${cursor ? `&cursor=${cursor}` : ''}`, admin)).body as { items: { serial: string }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      all.push(...page.items.map((d) => d.serial));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all).toEqual([...all].sort());
    expect(all).toEqual(expect.arrayContaining(['R58M123ABC', 'SERIAL-A', 'SERIAL-C', 'FLYVE-FORM']));
    const desc = (await call('GET', '/api/v1/devices?sort=serial&order=desc&status=enrolled', admin)).body as { items: { serial: string }[] };
    expect(desc.items.map((d) => d.serial)).toEqual([...all].reverse());
    const search = (await call('GET', '/api/v1/devices?q=serial-', admin)).body as { items: { serial: string }[] };
    expect(search.items.map((d) => d.serial)).toEqual(['SERIAL-A', 'SERIAL-C']);
    expect(await call('GET', '/api/v1/devices?sort=colour', admin)).toMatchObject({ status: 400, body: { message: expect.stringMatching(/sort/) } });
    expect(await call('GET', '/api/v1/devices?cursor=nonsense', admin)).toMatchObject({ status: 400, body: { message: expect.stringMatching(/cursor/) } });
  });

  it('rotates a device password: the new one works, the old one is refused', async () => {
    const rotated = await call('POST', '/api/v1/devices/SERIAL-A/credentials', admin, {});
    expect(rotated).toMatchObject({ status: 201, body: { username: 'SERIAL-A' } });
    const { client } = await agent('SERIAL-A', rotated.body.password);
    await endAll(client);
  });

  it('unenrolls: Command/Unenroll → Status/Unenroll → credentials revoked, disconnected, unenrolled; the next CONNECT is refused', async () => {
    const { client, received } = await agent('R58M123ABC', password);
    const disconnected = new Promise<number | undefined>((resolve) => client.once('disconnect', (packet) => resolve(packet.reasonCode)));
    expect(await call('POST', '/api/v1/devices/R58M123ABC/unenroll', admin, {})).toMatchObject({ status: 202, body: { enrollmentStatus: 'unenrolling' } });
    const command = await waitFor('Command/Unenroll', () => received.find((m) => m.topic === 'demo/agent/R58M123ABC/Command/Unenroll'));
    expect(JSON.parse(command.payload)).toEqual({ unenroll: 'Now' }); // flyve-mdm.md §A.1
    expect(await call('POST', '/api/v1/devices/R58M123ABC/unenroll', admin, {})).toMatchObject({ status: 409 });
    // Forcing waits until the device has had UNENROLL_FORCE_AFTER_SECONDS (300 s by default) to confirm.
    expect(await call('POST', '/api/v1/devices/R58M123ABC/unenroll', admin, { force: true })).toMatchObject({ status: 409, body: { message: expect.stringMatching(/may be forced out from/) } });
    await client.publishAsync('demo/agent/R58M123ABC/Status/Unenroll', JSON.stringify({ unenroll: 'unenrolled' }), { qos: 1 });
    expect(await disconnected).toBe(0x98);
    await endAll(client);
    await waitFor('unenrolled', async () => ((await call('GET', '/api/v1/devices/R58M123ABC', admin)).body.enrollmentStatus === 'unenrolled' ? true : undefined));
    const refused = await connectMqtt(t.platform.mqttPort, { protocolVersion: 5, username: 'R58M123ABC', password, clientId: 'R58M123ABC', reconnectPeriod: 0 }).catch((error: { code?: number }) => error);
    expect(refused).toMatchObject({ code: 0x86 });
  });

  it('enrolls the same serial again with a new invitation; the old password stays refused', async () => {
    const again = await call('POST', '/api/v1/enrollments', undefined, enrollment((await invite()).token, 'R58M123ABC'));
    expect(again.status).toBe(201);
    const { client, received } = await agent('R58M123ABC', again.body.mqtt.password);
    await waitFor('Command/Subscribe', () => received.find((m) => m.topic.endsWith('/Command/Subscribe')));
    expect(received.some((m) => m.topic.endsWith('/Command/Unenroll'))).toBe(false);
    await endAll(client);
    const refused = await connectMqtt(t.platform.mqttPort, { protocolVersion: 5, username: 'R58M123ABC', password, clientId: 'R58M123ABC', reconnectPeriod: 0 }).catch((error: { code?: number }) => error);
    expect(refused).toMatchObject({ code: 0x86 });
    await waitFor('enrolled again', async () => ((await call('GET', '/api/v1/devices/R58M123ABC', admin)).body.enrollmentStatus === 'enrolled' ? true : undefined));
  });

  it('`flotilla replay` of the registry, identity and inventory projections rebuilds the same rows', async () => {
    const snapshot = async () => ({
      devices: (await call('GET', '/api/v1/devices?limit=500', admin)).body,
      invitations: (await call('GET', '/api/v1/invitations?limit=500', admin)).body,
      refusals: (await call('GET', '/api/v1/enrollment-refusals?limit=500', admin)).body,
      keys: (await call('GET', '/api/v1/api-keys', admin)).body,
      inventory: (await call('GET', '/api/v1/devices/R58M123ABC/inventory', admin)).body,
      changes: (await call('GET', '/api/v1/devices/R58M123ABC/inventory/changes', admin)).body,
    });
    // Every agent of the tests above has disconnected: let the registry see it before comparing.
    await waitFor('every device offline', async () => ((await call('GET', '/api/v1/devices?online=true', admin)).body.items.length === 0 ? true : undefined));
    const before = await snapshot();
    for (const name of ['inventory-registry', 'inventory-identity', 'inventory-documents']) {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', 'replay', name, '--timeout', '30'], { cwd: root, env: { ...process.env, ...t.env } });
      expect(stdout).toMatch(new RegExp(`replayed ${name}: read model rebuilt up to stream sequence [1-9]`));
    }
    expect(await snapshot()).toEqual(before);
  }, 120_000);
});

describe('simulated agents', () => {
  it('`flotilla simulate --enroll-api` enrolls each agent through an invitation, then runs it with the credentials it was issued', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'packages/cli/src/main.ts', 'simulate', '--port', String(t.platform.mqttPort), '--enroll-api', `${t.platform.httpUrl}/api/v1`, '--api-key', admin, '--count', '4', '--serial-prefix', 'ENR-', '--duration-s', '1', '--position-interval-ms', '300'],
      { cwd: root, env: { ...process.env, ...t.env } },
    );
    expect(stdout).toMatch(/^4 of 4 spec agents connected/m);
    const enrolled = (await call('GET', '/api/v1/devices?q=ENR-&status=enrolled', admin)).body as { items: { serial: string; email: string }[] };
    expect(enrolled.items.map((d) => d.serial)).toEqual(['ENR-1', 'ENR-2', 'ENR-3', 'ENR-4']);
    expect(enrolled.items.every((d) => d.email === 'simulated@example.com')).toBe(true);
    // Their inventories were parsed, and they reported positions.
    expect((await call('GET', '/api/v1/devices/ENR-3/inventory', admin)).body).toMatchObject({ attributes: { bios: { ssn: 'ENR-3' } } });
    await waitFor('a position', async () => (await call('GET', '/api/v1/devices/ENR-2/positions', admin)).status === 200);
  }, 60_000);
});
