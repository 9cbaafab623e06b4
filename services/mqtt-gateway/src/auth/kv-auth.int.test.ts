import { credentialKey, generateSecret, hashChosenSecret, hashGeneratedSecret } from '@flotilla/credentials';
import { connectMqtt, endAll } from '@flotilla/testing';
import type { IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { position, startTestGateway } from '../gateway.fixture.js';
import { rawClient } from '../mqtt/raw-client.fixture.js';

let g: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  g = await startTestGateway({ GATEWAY_DEV_CREDENTIALS: undefined, MQTT_AUTH_MAX_FAILURES: 1_000 });
});
afterAll(() => g.stop());

const fastScrypt = { cost: 10, blockSize: 8, parallelization: 1 };
const refused = async (options: IClientOptions) => {
  const error = await connectMqtt(g.port, { protocolVersion: 5, ...options }).then((c) => c.endAsync().then(() => undefined), (e: { code?: number }) => e);
  return error?.code;
};

describe('device credentials from KV', () => {
  it('admits a Flyve agent by serial and issued password, and refuses a wrong or unknown one alike', async () => {
    const password = generateSecret();
    await g.putCredential(credentialKey.username('355889081234567'), { tenant: 'acme', deviceId: '355889081234567', dialect: 'flyve', kind: 'username-password', secret: hashGeneratedSecret(password) });
    const device = await connectMqtt(g.port, { username: '355889081234567', password, clientId: 'agent-1' });
    await device.publishAsync('acme/agent/355889081234567/Status/Geolocation', position(), { qos: 1 });
    expect(await g.count('geo')).toBe(1);
    await endAll(device);
    expect(await refused({ username: '355889081234567', password: 'wrong', clientId: 'agent-1' })).toBe(0x86);
    expect(await refused({ username: 'unknown-serial', password, clientId: 'agent-1' })).toBe(0x86);
  });

  it('admits a ThingsBoard access token given as username, with any client id', async () => {
    const token = 'A1_TEST_TOKEN_' + generateSecret(8);
    await g.putCredential(credentialKey.accessToken(token), { tenant: 'acme', deviceId: 'tb-1', dialect: 'thingsboard', kind: 'access-token', secret: null });
    const device = await connectMqtt(g.port, { protocolVersion: 4, username: token, clientId: `any-${Date.now()}` });
    await endAll(device);
    expect(await refused({ username: 'not-a-token' })).toBe(0x86);
  });

  it('admits ThingsBoard basic credentials: client id, client id + username, client id + username + password', async () => {
    await g.putCredential(credentialKey.clientId('basic-a'), { tenant: 'acme', deviceId: 'tb-a', dialect: 'thingsboard', kind: 'client-id', secret: null });
    await g.putCredential(credentialKey.clientId('basic-b'), { tenant: 'acme', deviceId: 'tb-b', dialect: 'thingsboard', kind: 'client-id', username: 'user-b', secret: null });
    await g.putCredential(credentialKey.clientId('basic-c'), { tenant: 'acme', deviceId: 'tb-c', dialect: 'thingsboard', kind: 'client-id', username: 'user-c', secret: await hashChosenSecret('chosen pw', fastScrypt) });
    await endAll(await connectMqtt(g.port, { clientId: 'basic-a' }));
    await endAll(await connectMqtt(g.port, { clientId: 'basic-b', username: 'user-b' }));
    await endAll(await connectMqtt(g.port, { clientId: 'basic-c', username: 'user-c', password: 'chosen pw' }));
    // A correct id and username with a wrong password is refused (ThingsBoard's BasicMqttCredentialsTest).
    expect(await refused({ clientId: 'basic-c', username: 'user-c', password: 'guess' })).toBe(0x86);
    expect(await refused({ clientId: 'basic-b', username: 'someone-else' })).toBe(0x86);
    expect(await refused({ clientId: 'basic-b' })).toBe(0x86);
  });

  it('admits a Watson device: client id d:<org>:<type>:<id>, username use-token-auth, password = token', async () => {
    const token = generateSecret();
    await g.putCredential(credentialKey.clientId('d:org1:sensor:s-1'), { tenant: 'acme', deviceId: 's-1', dialect: 'watson', kind: 'client-id', username: 'use-token-auth', secret: hashGeneratedSecret(token) });
    await endAll(await connectMqtt(g.port, { protocolVersion: 4, clientId: 'd:org1:sensor:s-1', username: 'use-token-auth', password: token }));
    expect(await refused({ clientId: 'd:org1:sensor:s-1', username: 'use-token-auth', password: 'nope' })).toBe(0x86);
  });

  it('disconnects a device the moment its credential is revoked (MQTT 5: 0x98), and refuses it after', async () => {
    const password = generateSecret();
    const key = credentialKey.username('rev-1');
    const record = await g.putCredential(key, { tenant: 'acme', deviceId: 'rev-1', dialect: 'flyve', kind: 'username-password', secret: hashGeneratedSecret(password) });
    const device = await rawClient(g.port, 5);
    device.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'rev-1', clean: true, keepalive: 30, username: 'rev-1', password: Buffer.from(password) });
    expect(await device.next('connack')).toMatchObject({ reasonCode: 0 });
    await g.putCredential(key, { ...record, revoked: true });
    expect(await device.next('disconnect')).toMatchObject({ reasonCode: 0x98 });
    await device.closed;
    expect(await refused({ username: 'rev-1', password, clientId: 'rev-1' })).toBe(0x86);
  });

  it('after a password rotation the old password is refused and the new one admitted', async () => {
    const key = credentialKey.username('rot-1');
    const [before, after] = [generateSecret(), generateSecret()];
    await g.putCredential(key, { tenant: 'acme', deviceId: 'rot-1', dialect: 'flyve', kind: 'username-password', secret: hashGeneratedSecret(before) });
    const device = await connectMqtt(g.port, { username: 'rot-1', password: before, clientId: 'rot-1' });
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    await g.putCredential(key, { tenant: 'acme', deviceId: 'rot-1', dialect: 'flyve', kind: 'username-password', secret: hashGeneratedSecret(after) });
    await closed;
    await endAll(device);
    expect(await refused({ username: 'rot-1', password: before, clientId: 'rot-1' })).toBe(0x86);
    await endAll(await connectMqtt(g.port, { username: 'rot-1', password: after, clientId: 'rot-1' }));
  });

  it('binds a client id to its device: the same device takes the session over, another is refused', async () => {
    const [pa, pb] = [generateSecret(), generateSecret()];
    await g.putCredential(credentialKey.username('bind-a'), { tenant: 'acme', deviceId: 'bind-a', dialect: 'flyve', kind: 'username-password', secret: hashGeneratedSecret(pa) });
    await g.putCredential(credentialKey.username('bind-b'), { tenant: 'acme', deviceId: 'bind-b', dialect: 'flyve', kind: 'username-password', secret: hashGeneratedSecret(pb) });
    const first = await rawClient(g.port, 5);
    first.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'shared-id', clean: true, keepalive: 30, username: 'bind-a', password: Buffer.from(pa) });
    await first.next('connack');
    const intruder = await rawClient(g.port, 4);
    intruder.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'shared-id', clean: true, keepalive: 30, username: 'bind-b', password: Buffer.from(pb) });
    expect(await intruder.next('connack')).toMatchObject({ returnCode: 2 });
    expect(first.isClosed()).toBe(false);
    const again = await rawClient(g.port, 5);
    again.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'shared-id', clean: true, keepalive: 30, username: 'bind-a', password: Buffer.from(pa) });
    expect(await again.next('connack')).toMatchObject({ reasonCode: 0 });
    expect(await first.next('disconnect')).toMatchObject({ reasonCode: 0x8e });
    again.destroy();
  });
});

describe('login throttling', () => {
  it('locks an identity after repeated failures, refusing even the right password with the same code', async () => {
    const t = await startTestGateway({ GATEWAY_DEV_CREDENTIALS: undefined, MQTT_AUTH_MAX_FAILURES: 3, MQTT_AUTH_LOCKOUT_MS: 60_000 });
    try {
      const password = generateSecret();
      await t.putCredential(credentialKey.username('locked-1'), { tenant: 'acme', deviceId: 'locked-1', dialect: 'flyve', kind: 'username-password', secret: hashGeneratedSecret(password) });
      for (let i = 0; i < 3; i++) {
        const error = await connectMqtt(t.port, { protocolVersion: 5, username: 'locked-1', password: 'guess', clientId: 'x' }).catch((e: { code?: number }) => e);
        expect(error).toMatchObject({ code: 0x86 });
      }
      const locked = await connectMqtt(t.port, { protocolVersion: 5, username: 'locked-1', password, clientId: 'x' }).catch((e: { code?: number }) => e);
      expect(locked).toMatchObject({ code: 0x86 });
      expect(await t.metrics.getSingleMetricAsString('flotilla_gateway_auth_failures_total')).toMatch(/ 4$/m);
    } finally {
      await t.stop();
    }
  });
});
