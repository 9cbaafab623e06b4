import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { api, DEVICE_PASSWORD, KEYS, startTestPlatform } from '@flotilla/cli/testing';
import { connectMqtt, endAll, testEnvironment, waitFor } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let t: Awaited<ReturnType<typeof startTestPlatform>>;
beforeAll(async () => {
  t = await startTestPlatform(testEnvironment().natsUrl, testEnvironment().databaseUrl);
});
afterAll(() => t.destroy());

type Positions = { deviceId: string; latest: { lat: number; lon: number; reportedAt: string }; history: { lat: number }[] };

describe('one device message through every layer', () => {
  it('a position published over MQTT is returned by the HTTP API within a second', async () => {
    const device = await connectMqtt(t.platform.mqttPort, { username: 'phone-1', password: DEVICE_PASSWORD, clientId: 'phone-1' });
    const sent = Date.now();
    await device.publishAsync('acme/agent/phone-1/Status/Geolocation', JSON.stringify({ latitude: 48.1054276, longitude: -1.67820699, datetime: 1476345332 }), { qos: 1 });
    const found = await waitFor('position over HTTP', async () => {
      const response = await api(t.platform, '/api/v1/devices/phone-1/positions', KEYS.acme);
      return response.status === 200 ? (response.body as Positions) : undefined;
    }, 1_000, 10);
    expect(Date.now() - sent).toBeLessThan(1_000);
    expect(found).toMatchObject({ deviceId: 'phone-1', latest: { lat: 48.1054276, lon: -1.67820699, reportedAt: '2016-10-13T07:55:32.000Z' } });
    await endAll(device);
  });

  it('works with mosquitto_pub as the device', async () => {
    await promisify(execFile)('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(t.platform.mqttPort), '-u', 'phone-2', '-P', DEVICE_PASSWORD, '-t', 'acme/agent/phone-2/Status/Geolocation', '-m', '{"latitude":1.5,"longitude":2.5,"datetime":1700000000}']);
    const found = await waitFor('position over HTTP', async () => {
      const response = await api(t.platform, '/api/v1/devices/phone-2/positions', KEYS.acme);
      return response.status === 200 ? (response.body as Positions) : undefined;
    }, 1_000, 10);
    expect(found.latest).toMatchObject({ lat: 1.5, lon: 2.5 });
  });

  it('authenticates every API request and scopes it to the key’s tenant', async () => {
    expect(await api(t.platform, '/api/v1/devices/phone-1/positions')).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(await api(t.platform, '/api/v1/devices/phone-1/positions', 'not-a-key')).toMatchObject({ status: 401 });
    // Another tenant's device is not found, not forbidden: its existence is not revealed.
    expect(await api(t.platform, '/api/v1/devices/phone-1/positions', KEYS.globex)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await api(t.platform, '/api/v1/devices/phone-1/positions?limit=0', KEYS.acme)).toMatchObject({ status: 400, body: { message: expect.stringMatching(/limit/) } });
    expect(await api(t.platform, '/api/v1/devices/phone-1/positions?from=yesterday', KEYS.acme)).toMatchObject({ status: 400, body: { message: expect.stringMatching(/from/) } });
  });

  it('serves health, readiness and metrics', async () => {
    expect(await api(t.platform, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await api(t.platform, '/readyz')).toEqual({ status: 200, body: { status: 'ready', failing: [] } });
    const metrics = await (await fetch(`${t.platform.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/flotilla_projection_messages_total\{projection="geolocation-device-positions",outcome="applied"\} [1-9]/);
    expect(metrics).toMatch(/flotilla_gateway_messages_in_total\{qos="1"\} [1-9]/);
  });

  it('`flotilla replay` rebuilds the positions read model to the same answer while the platform runs', async () => {
    const before = await api(t.platform, '/api/v1/devices/phone-1/positions', KEYS.acme);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', 'replay', 'geolocation-device-positions', '--timeout', '30'], { cwd: root, env: { ...process.env, ...t.env } });
    expect(stdout).toMatch(/replayed geolocation-device-positions: read model rebuilt up to stream sequence [1-9]/);
    expect(await api(t.platform, '/api/v1/devices/phone-1/positions', KEYS.acme)).toEqual(before);
  });

  it('`flotilla device add` issues a credential the gateway accepts; `device revoke` disconnects it', async () => {
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', 'device', ...args], { cwd: root, env: { ...process.env, ...t.env } });
    const { stdout } = await cli('add', '--tenant', 'acme', '--serial', 'phone-kv');
    const password = /password (\S+)/.exec(stdout)![1]!;
    const device = await connectMqtt(t.platform.mqttPort, { protocolVersion: 5, username: 'phone-kv', password, clientId: 'phone-kv' });
    await device.publishAsync('acme/agent/phone-kv/Status/Geolocation', JSON.stringify({ latitude: 3, longitude: 4, datetime: 1700000300 }), { qos: 1 });
    await waitFor('position over HTTP', async () => (await api(t.platform, '/api/v1/devices/phone-kv/positions', KEYS.acme)).status === 200);
    const disconnected = new Promise<number | undefined>((resolve) => device.once('disconnect', (packet) => resolve(packet.reasonCode)));
    expect((await cli('revoke', '--serial', 'phone-kv')).stdout).toMatch(/revoked phone-kv/);
    expect(await disconnected).toBe(0x98);
    await endAll(device);
    const refused = await connectMqtt(t.platform.mqttPort, { protocolVersion: 5, username: 'phone-kv', password, clientId: 'phone-kv' }).catch((error: { code?: number }) => error);
    expect(refused).toMatchObject({ code: 0x86 });
  });

  it('`flotilla application add` issues an application that brokers with others and follows device events; `revoke` disconnects it', async () => {
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', 'application', ...args], { cwd: root, env: { ...process.env, ...t.env } });
    const { stdout } = await cli('add', '--tenant', 'acme', '--id', 'dashboard', '--publish', 'dashboards/#', '--subscribe', 'dashboards/#,$flotilla/events/#');
    const password = /password (\S+)/.exec(stdout)![1]!;
    const dashboard = await connectMqtt(t.platform.mqttPort, { protocolVersion: 5, username: 'dashboard', password, clientId: 'dashboard-1' });
    const got: string[] = [];
    dashboard.on('message', (topic) => got.push(topic));
    await dashboard.subscribeAsync(['dashboards/#', '$flotilla/events/geo/#'], { qos: 1 });
    await dashboard.publishAsync('dashboards/wall', 'refresh', { qos: 1 });
    const device = await connectMqtt(t.platform.mqttPort, { protocolVersion: 5, username: 'phone-app', password: DEVICE_PASSWORD, clientId: 'phone-app' });
    await device.publishAsync('acme/agent/phone-app/Status/Geolocation', JSON.stringify({ latitude: 5, longitude: 6, datetime: 1700000400 }), { qos: 1 });
    await waitFor('own message and device event', () => got.length === 2);
    expect(got.sort()).toEqual(['$flotilla/events/geo/phone-app/DevicePositionReported', 'dashboards/wall']);
    await expect(dashboard.publishAsync('elsewhere', 'x', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    const disconnected = new Promise<number | undefined>((resolve) => dashboard.once('disconnect', (packet) => resolve(packet.reasonCode)));
    expect((await cli('revoke', '--id', 'dashboard')).stdout).toMatch(/revoked dashboard/);
    expect(await disconnected).toBe(0x98);
    await endAll(dashboard, device);
  });

  it('`flotilla simulate` runs agents whose positions reach the read model, and writes their report', async () => {
    const report = path.join(tmpdir(), `flotilla-simulate-${process.pid}.json`);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'packages/cli/src/main.ts', 'simulate', '--port', String(t.platform.mqttPort), '--tenant', 'acme', '--password', DEVICE_PASSWORD, '--count', '5', '--serial-prefix', 'simcli-', '--position-interval-ms', '300', '--duration-s', '2', '--report', report],
      { cwd: root, env: { ...process.env, ...t.env } },
    );
    expect(stdout).toMatch(/^5 of 5 spec agents connected/m);
    const written = JSON.parse(await readFile(report, 'utf8')) as { summary: { connected: number; sent: Record<string, number> }; agents: { serial: string }[] };
    await rm(report, { force: true });
    expect(written.summary.sent.Geolocation).toBeGreaterThanOrEqual(5);
    expect(written.agents.map((agent) => agent.serial).sort()).toEqual(['simcli-1', 'simcli-2', 'simcli-3', 'simcli-4', 'simcli-5']);
    await waitFor('a simulated position over HTTP', async () => (await api(t.platform, '/api/v1/devices/simcli-3/positions', KEYS.acme)).status === 200);
  });
});
