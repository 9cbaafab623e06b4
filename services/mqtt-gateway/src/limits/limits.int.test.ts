import { DeviceLimitExceeded } from '@flotilla/contracts';
import { connectMqtt, endAll, waitFor } from '@flotilla/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, position, startTestGateway } from '../gateway.fixture.js';
import { rawClient } from '../mqtt/raw-client.fixture.js';

const gateways: Awaited<ReturnType<typeof startTestGateway>>[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
});
async function gateway(overrides: Parameters<typeof startTestGateway>[0]) {
  const g = await startTestGateway(overrides);
  gateways.push(g);
  return g;
}
async function device(port: number, serial: string, protocolVersion: 4 | 5) {
  const client = await rawClient(port, protocolVersion);
  client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clientId: serial, clean: true, keepalive: 30, username: serial, password: Buffer.from(PASSWORD) });
  return { client, connack: await client.next('connack') };
}
const publish = (serial: string, messageId: number) => ({ cmd: 'publish' as const, topic: `acme/agent/${serial}/Status/Geolocation`, payload: position(1, 2, 1700000000 + messageId), qos: 1 as const, messageId, dup: false, retain: false });

describe('message rate limits', () => {
  it('answers a device over its rate with 0x97 in MQTT 5, stores nothing more, and records the hit', async () => {
    const g = await gateway({ MQTT_DEVICE_MESSAGE_RATE: '3:60' });
    const { client } = await device(g.port, 'busy-5', 5);
    const codes = [];
    for (let id = 1; id <= 5; id++) {
      client.send(publish('busy-5', id));
      codes.push((await client.next('puback')).reasonCode ?? 0);
    }
    expect(codes).toEqual([0, 0, 0, 0x97, 0x97]);
    expect(await g.count('geo')).toBe(3);
    const stored = await waitFor('limit event', () =>
      g.bus.connection.jsm.streams.getMessage(g.bus.names.stream('devices'), { last_by_subj: g.bus.names.subject(DeviceLimitExceeded.subject('acme', 'busy-5')) }).then((m) => m ?? undefined, () => undefined),
    );
    expect(DeviceLimitExceeded.parse(stored.json()).data).toMatchObject({ limit: 'device-message-rate', gatewayId: 'gw-test' });
    // Recorded once, however many times the device keeps hitting it.
    expect((await g.bus.connection.jsm.streams.info(g.bus.names.stream('devices'), { subjects_filter: g.bus.names.subject('devices.acme.busy-5.DeviceLimitExceeded') })).state.subjects).toEqual({ [g.bus.names.subject('devices.acme.busy-5.DeviceLimitExceeded')]: 1 });
    client.destroy();
  });

  it('closes an MQTT 3.1.1 device over its rate without acknowledging, so it keeps the message', async () => {
    const g = await gateway({ MQTT_DEVICE_MESSAGE_RATE: '2:60' });
    const { client } = await device(g.port, 'busy-4', 4);
    for (const id of [1, 2]) {
      client.send(publish('busy-4', id));
      await client.next('puback');
    }
    client.send(publish('busy-4', 3));
    await client.closed;
    await expect(client.next('puback', 200)).rejects.toThrow();
    expect(await g.count('geo')).toBe(2);
  });

  it('shares a tenant allowance between its devices', async () => {
    const g = await gateway({ MQTT_TENANT_MESSAGE_RATE: '3:60' });
    const a = await device(g.port, 'tenant-a', 5);
    const b = await device(g.port, 'tenant-b', 5);
    const codes = [];
    for (const [client, serial, id] of [[a.client, 'tenant-a', 1], [b.client, 'tenant-b', 1], [a.client, 'tenant-a', 2], [b.client, 'tenant-b', 2]] as const) {
      client.send(publish(serial, id));
      codes.push((await client.next('puback')).reasonCode ?? 0);
    }
    expect(codes).toEqual([0, 0, 0, 0x97]);
    a.client.destroy();
    b.client.destroy();
  });
});

describe('connection limits', () => {
  it('refuses connections over the maximum: 0x97 in MQTT 5, 3 (server unavailable) in MQTT 3', async () => {
    const g = await gateway({ MQTT_MAX_CONNECTIONS: 2 });
    const first = await connectMqtt(g.port, { username: 'c-1', password: PASSWORD, clientId: 'c-1' });
    const second = await connectMqtt(g.port, { username: 'c-2', password: PASSWORD, clientId: 'c-2' });
    expect((await device(g.port, 'c-3', 5)).connack).toMatchObject({ reasonCode: 0x97 });
    expect((await device(g.port, 'c-4', 4)).connack).toMatchObject({ returnCode: 3 });
    await endAll(first);
    await waitFor('a slot frees up', async () => (await device(g.port, 'c-5', 5)).connack.reasonCode === 0, 3_000, 100);
    await endAll(second);
  });

  it('refuses connections over the rate per source address with 0x9F', async () => {
    const g = await gateway({ MQTT_CONNECTION_RATE_PER_ADDRESS: '2:60' });
    expect((await device(g.port, 'r-1', 5)).connack).toMatchObject({ reasonCode: 0 });
    expect((await device(g.port, 'r-2', 5)).connack).toMatchObject({ reasonCode: 0 });
    expect((await device(g.port, 'r-3', 5)).connack).toMatchObject({ reasonCode: 0x9f });
    expect(await g.metrics.getSingleMetricAsString('flotilla_gateway_rejections_total')).toMatch(/reason="connection-rate"\} 1/);
  });
});

describe('reconnect storms', () => {
  it('holds off a client id reconnecting faster than allowed (0x9F / 3), whatever its source', async () => {
    const g = await gateway({ MQTT_RECONNECT_RATE: '3:60' });
    const codes = [];
    for (let i = 0; i < 4; i++) {
      const { client, connack } = await device(g.port, 'flapper', 5);
      codes.push(connack.reasonCode);
      client.destroy();
    }
    expect(codes).toEqual([0, 0, 0, 0x9f]);
    expect((await device(g.port, 'flapper', 4)).connack).toMatchObject({ returnCode: 3 });
    expect((await device(g.port, 'calm', 5)).connack).toMatchObject({ reasonCode: 0 });
  });
});

describe('subscription and socket caps', () => {
  it('caps subscriptions per session (0x97) and filters per SUBSCRIBE, and refuses shared subscriptions (0x9E)', async () => {
    const g = await gateway({ MQTT_MAX_SUBSCRIPTIONS: 3 });
    const { client } = await device(g.port, 'subs', 5);
    const own = (n: number) => ({ topic: `acme/agent/subs/Command/C${n}`, qos: 1 as const });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [own(1), own(2), { topic: '$share/g/acme/agent/subs/Command/#', qos: 1 }] });
    expect((await client.next('suback')).granted).toEqual([1, 1, 0x9e]);
    client.send({ cmd: 'subscribe', messageId: 2, subscriptions: [own(3), own(4), own(1)] });
    // The third fits, the fourth is over the cap, and renewing an existing one is always allowed.
    expect((await client.next('suback')).granted).toEqual([1, 0x97, 1]);
    client.send({ cmd: 'subscribe', messageId: 3, subscriptions: [own(5), own(6), own(7), own(8)] });
    expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x97 });
  });

  it('drops sockets from one address beyond the cap on unfinished CONNECTs, and admits again once they go', async () => {
    const g = await gateway({ MQTT_MAX_PENDING_PER_ADDRESS: 2 });
    const idle = [await rawClient(g.port, 4), await rawClient(g.port, 4)];
    const third = await rawClient(g.port, 4);
    await third.closed;
    expect(await g.metrics.getSingleMetricAsString('flotilla_gateway_rejections_total')).toMatch(/reason="pending-per-address"\} 1/);
    for (const socket of idle) socket.destroy();
    await waitFor('a free slot', async () => {
      const { client, connack } = await device(g.port, 'after-idle', 4).catch(() => ({ client: undefined, connack: undefined }));
      client?.destroy();
      return connack?.returnCode === 0;
    }, 3_000, 100);
  });
});
