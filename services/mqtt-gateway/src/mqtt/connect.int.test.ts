import { DeviceConnected, DeviceDisconnected } from '@flotilla/contracts';
import { connectMqtt, endAll, waitFor } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestGateway } from '../gateway.fixture.js';
import { rawClient } from './raw-client.fixture.js';

let g: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  g = await startTestGateway();
});
afterAll(() => g.stop());

const connect = (protocolVersion: 3 | 4 | 5, fields: Record<string, unknown> = {}) => ({
  cmd: 'connect' as const,
  protocolId: protocolVersion === 3 ? ('MQIsdp' as const) : ('MQTT' as const),
  protocolVersion,
  clientId: 'c1',
  clean: true,
  keepalive: 30,
  username: 'phone-1',
  password: Buffer.from(PASSWORD),
  ...fields,
});

describe('CONNECT', () => {
  it.each([3, 4, 5] as const)('accepts MQTT protocol level %i with the device password', async (level) => {
    const client = await connectMqtt(g.port, { protocolVersion: level, username: 'phone-1', password: PASSWORD, clientId: `ok-${level}` });
    expect(client.connected).toBe(true);
    await endAll(client);
  });

  it('answers a wrong password and an unknown user alike: 5 in MQTT 3, 0x86 in MQTT 5', async () => {
    for (const username of ['phone-1', 'nobody']) {
      const v4 = await rawClient(g.port, 4);
      v4.send(connect(4, { username, password: Buffer.from('wrong-password') }));
      expect(await v4.next('connack')).toMatchObject({ returnCode: 5 });
      await v4.closed;
      const v5 = await rawClient(g.port, 5);
      v5.send(connect(5, { username, password: Buffer.from('wrong-password') }));
      expect(await v5.next('connack')).toMatchObject({ reasonCode: 0x86 });
      await v5.closed;
    }
    expect(await g.metrics.getSingleMetricAsString('flotilla_gateway_auth_failures_total')).toMatch(/ 4$/m);
  });

  it('refuses a username that could widen a topic or subject', async () => {
    for (const username of ['a/b', 'a+b', 'a#', 'a.b', 'a*']) {
      const client = await rawClient(g.port, 4);
      client.send(connect(4, { username }));
      expect(await client.next('connack')).toMatchObject({ returnCode: 5 });
    }
  });

  it('rejects an empty client id with a persistent session in 3.1.1, assigns one in 5.0', async () => {
    const v4 = await rawClient(g.port, 4);
    // Built by hand: mqtt-packet will not encode this CONNECT. Flags 0xC0 = username + password, clean session 0.
    const user = Buffer.from('phone-1');
    const pass = Buffer.from(PASSWORD);
    const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0xc0, 0, 30, 0, 0, 0, user.length]), user, Buffer.from([0, pass.length]), pass]);
    v4.sendBytes(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    expect(await v4.next('connack')).toMatchObject({ returnCode: 2 });
    const v5 = await rawClient(g.port, 5);
    v5.send(connect(5, { clientId: '' }));
    const connack = await v5.next('connack');
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties?.assignedClientIdentifier).toMatch(/^flotilla-/);
    expect(connack.properties).toMatchObject({ receiveMaximum: 10, maximumPacketSize: 4096, topicAliasMaximum: 32 });
    v5.destroy();
  });

  it('closes a connection whose first packet is not CONNECT, or that sends CONNECT twice', async () => {
    const early = await rawClient(g.port, 4);
    early.send({ cmd: 'pingreq' });
    await early.closed;
    const twice = await rawClient(g.port, 5);
    twice.send(connect(5));
    await twice.next('connack');
    twice.send(connect(5));
    expect(await twice.next('disconnect')).toMatchObject({ reasonCode: 0x82 });
    await twice.closed;
  });

  it('closes a socket that never sends CONNECT after the connect deadline', async () => {
    const idle = await rawClient(g.port, 4);
    const started = Date.now();
    await idle.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('closes a silent client after 1.5 × keepalive (MQTT 5: DISCONNECT 0x8D) and records why', async () => {
    const before = await g.count('devices');
    const client = await rawClient(g.port, 5);
    client.send(connect(5, { clientId: 'sleepy', username: 'phone-sleepy', keepalive: 1 }));
    await client.next('connack');
    const started = Date.now();
    expect(await client.next('disconnect', 3_000)).toMatchObject({ reasonCode: 0x8d });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    await waitFor('presence events', async () => (await g.count('devices')) >= before + 2);
    const stream = g.bus.names.stream('devices');
    const last = await g.bus.connection.jsm.streams.getMessage(stream, { last_by_subj: g.bus.names.subject(DeviceDisconnected.subject('acme', 'phone-sleepy')) });
    expect(DeviceDisconnected.parse(last!.json()).data).toMatchObject({ reason: 'keepalive-timeout', clientId: 'sleepy', gatewayId: 'gw-test', dialect: 'flyve' });
    const connected = await g.bus.connection.jsm.streams.getMessage(stream, { last_by_subj: g.bus.names.subject(DeviceConnected.subject('acme', 'phone-sleepy')) });
    expect(DeviceConnected.parse(connected!.json()).data).toMatchObject({ protocolLevel: 5, remoteAddress: '127.0.0.1' });
  });

  it('answers PINGREQ and keeps serving other clients while one misbehaves', async () => {
    const good = await rawClient(g.port, 4);
    good.send(connect(4, { clientId: 'good' }));
    await good.next('connack');
    const bad = await rawClient(g.port, 4);
    bad.sendBytes(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])); // Remaining Length with a 5th continuation byte
    await bad.closed;
    good.send({ cmd: 'pingreq' });
    expect(await good.next('pingresp')).toMatchObject({ cmd: 'pingresp' });
    good.destroy();
  });
});
