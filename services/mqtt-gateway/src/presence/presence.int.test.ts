import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceConnected, DeviceDisconnected } from '@flotilla/contracts';
import { connectMqtt, endAll, freePort, testEnvironment, waitFor } from '@flotilla/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, startTestGateway } from '../gateway.fixture.js';
import { rawClient } from '../mqtt/raw-client.fixture.js';
import { PRESENCE_BUCKET } from '../service.js';
import { presenceKey, type PresenceEntry } from './presence-registry.js';

const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../main.ts');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lastEvent<E extends typeof DeviceConnected | typeof DeviceDisconnected>(g: Awaited<ReturnType<typeof startTestGateway>>, event: E, deviceId: string): Promise<ReturnType<E['parse']> | undefined> {
  const stored = await g.bus.connection.jsm.streams.getMessage(g.bus.names.stream('devices'), { last_by_subj: g.bus.names.subject(event.subject('acme', deviceId)) }).catch(() => undefined);
  return stored ? (event.parse(stored.json()) as ReturnType<E['parse']>) : undefined;
}

async function presenceOf(g: Awaited<ReturnType<typeof startTestGateway>>, deviceId: string): Promise<PresenceEntry | undefined> {
  const kv = (await g.bus.ensureBuckets([{ name: PRESENCE_BUCKET }])).get(PRESENCE_BUCKET)!;
  const entry = await kv.get(presenceKey('acme', deviceId));
  return entry?.operation === 'PUT' ? (entry.json() as PresenceEntry) : undefined;
}

describe('presence across replicas', () => {
  it('records which replica holds a device, and clears it on disconnect', async () => {
    const a = await startTestGateway({ GATEWAY_ID: 'gw-a' });
    cleanups.push(() => a.stop());
    const device = await connectMqtt(a.port, { username: 'pres-1', password: PASSWORD, clientId: 'pres-1' });
    expect(await waitFor('presence entry', () => presenceOf(a, 'pres-1'))).toMatchObject({ gatewayId: 'gw-a', clientId: 'pres-1', dialect: 'flyve' });
    await endAll(device);
    await waitFor('presence cleared', async () => (await presenceOf(a, 'pres-1')) === undefined || undefined);
    expect(await lastEvent(a, DeviceDisconnected, 'pres-1')).toMatchObject({ data: { reason: 'socket-error', gatewayId: 'gw-a' } });
  });

  it('a device connecting through another replica takes its session over there (MQTT 5: 0x8E)', async () => {
    const a = await startTestGateway({ GATEWAY_ID: 'gw-a' });
    const b = await startTestGateway({ GATEWAY_ID: 'gw-b' }, a.namespace);
    cleanups.push(() => a.stop(), () => b.service.stop());
    const first = await rawClient(a.port, 5);
    first.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'roamer', clean: true, keepalive: 30, username: 'roamer', password: Buffer.from(PASSWORD) });
    await first.next('connack');
    await waitFor('presence on a', async () => (await presenceOf(a, 'roamer'))?.gatewayId === 'gw-a');
    const second = await connectMqtt(b.port, { protocolVersion: 5, username: 'roamer', password: PASSWORD, clientId: 'roamer' });
    expect(await first.next('disconnect')).toMatchObject({ reasonCode: 0x8e });
    expect(await waitFor('presence on b', async () => (await presenceOf(a, 'roamer'))?.gatewayId === 'gw-b' && presenceOf(a, 'roamer'))).toMatchObject({ gatewayId: 'gw-b' });
    await endAll(second);
  });

  it('reports the devices of a replica killed with SIGKILL offline, and online again through another', async () => {
    const survivor = await startTestGateway({ GATEWAY_ID: 'gw-survivor', MQTT_PRESENCE_TTL_MS: 3_000 });
    cleanups.push(() => survivor.stop());
    const mqttPort = await freePort();
    const doomed = spawn(process.execPath, ['--import', 'tsx', main], {
      env: {
        ...process.env,
        NATS_URL: testEnvironment().natsUrl,
        FLOTILLA_NAMESPACE: survivor.namespace,
        GATEWAY_ID: 'gw-doomed',
        GATEWAY_DEV_CREDENTIALS: `acme:${PASSWORD}`,
        MQTT_PRESENCE_TTL_MS: '3000',
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(mqttPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => doomed.once('exit', resolve));
    cleanups.push(async () => {
      doomed.kill('SIGKILL');
      await exited;
    });
    const device = await waitFor('doomed gateway up', () => connectMqtt(mqttPort, { username: 'victim', password: PASSWORD, clientId: 'victim', reconnectPeriod: 0 }).catch(() => undefined), 20_000, 200);
    await waitFor('presence on the doomed replica', async () => (await presenceOf(survivor, 'victim'))?.gatewayId === 'gw-doomed');
    const killedAt = Date.now();
    doomed.kill('SIGKILL');
    await exited;
    const offline = await waitFor('presence-expired event', async () => {
      const event = await lastEvent(survivor, DeviceDisconnected, 'victim');
      return event?.data.reason === 'presence-expired' ? event : undefined;
    }, 30_000, 100);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    expect(offline.data).toMatchObject({ gatewayId: 'gw-doomed', clientId: 'victim' });
    expect(await presenceOf(survivor, 'victim')).toBeUndefined();
    await endAll(device);
    const again = await connectMqtt(survivor.port, { username: 'victim', password: PASSWORD, clientId: 'victim' });
    expect(await waitFor('online through the survivor', async () => (await presenceOf(survivor, 'victim'))?.gatewayId === 'gw-survivor' && lastEvent(survivor, DeviceConnected, 'victim'))).toMatchObject({ data: { gatewayId: 'gw-survivor' } });
    await endAll(again);
  }, 60_000);
});
