import { credentialKey, generateSecret, hashGeneratedSecret } from '@flotilla/credentials';
import { connectMqtt, endAll, waitFor } from '@flotilla/testing';
import type { IClientOptions, MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { position, startTestGateway } from '../gateway.fixture.js';
import { SESSIONS_BUCKET } from '../service.js';
import { SessionStore } from '../sessions/session-store.js';

// Two replicas of one platform: applications on either reach each other through NATS.
let a: Awaited<ReturnType<typeof startTestGateway>>;
let b: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  a = await startTestGateway({ GATEWAY_ID: 'gw-a', MQTT_MAX_SESSION_EXPIRY: 600, MQTT_SANDBOX_PORT: 0 });
  b = await startTestGateway({ GATEWAY_ID: 'gw-b', MQTT_MAX_SESSION_EXPIRY: 600 }, a.namespace);
});
afterAll(async () => {
  await b.service.stop();
  await a.stop();
});

interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  properties?: Record<string, unknown> | undefined;
}
function inbox(client: MqttClient): Received[] {
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, properties: packet.properties as Record<string, unknown> | undefined }));
  return messages;
}
const quiet = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));
let seq = 0;
async function app(port: number, tenant = 'acme', rules: Parameters<typeof a.putApplication>[2] = {}, options: IClientOptions = {}) {
  const id = `app-${tenant}-${++seq}`;
  const credentials = await a.putApplication(tenant, id, rules);
  return connectMqtt(port, { ...credentials, clientId: id, protocolVersion: 5, ...options });
}

describe('applications: the gateway as a broker between them, across replicas', () => {
  it('routes QoS 0, 1 and 2 from one replica to another through wildcards, at the lower of the two QoS', async () => {
    const subscriber = await app(b.port);
    const got = inbox(subscriber);
    const granted = await subscriber.subscribeAsync({ 'plant/+/temperature': { qos: 2 }, 'plant/line-2/#': { qos: 1 } });
    expect(granted.map((g) => g.qos)).toEqual([2, 1]);
    const publisher = await app(a.port);
    await publisher.publishAsync('plant/line-1/temperature', '20.5', { qos: 0 });
    await publisher.publishAsync('plant/line-1/temperature', '21.5', { qos: 1 });
    await publisher.publishAsync('plant/line-1/temperature', '22.5', { qos: 2 });
    // Matched by both subscriptions: delivered once, at the highest QoS they grant [MQTT-3.3.4-2].
    await publisher.publishAsync('plant/line-2/temperature', '23.5', { qos: 2 });
    await publisher.publishAsync('plant/line-2/pressure', '1.2', { qos: 2 });
    await publisher.publishAsync('office/temperature', 'not subscribed', { qos: 1 });
    await waitFor('five messages', () => got.length >= 5);
    await quiet();
    expect(got.map(({ topic, payload, qos }) => ({ topic, payload, qos }))).toEqual([
      { topic: 'plant/line-1/temperature', payload: '20.5', qos: 0 },
      { topic: 'plant/line-1/temperature', payload: '21.5', qos: 1 },
      { topic: 'plant/line-1/temperature', payload: '22.5', qos: 2 },
      { topic: 'plant/line-2/temperature', payload: '23.5', qos: 2 },
      { topic: 'plant/line-2/pressure', payload: '1.2', qos: 1 },
    ]);
    await endAll(subscriber, publisher);
  });

  it('carries MQTT 5 properties (content type, response topic, correlation data, user properties) and honours No Local', async () => {
    const responder = await app(b.port);
    const got = inbox(responder);
    await responder.subscribeAsync('rpc/request', { qos: 1 });
    const requester = await app(a.port);
    const echo = inbox(requester);
    await requester.subscribeAsync('rpc/request', { qos: 1, nl: true });
    await requester.publishAsync('rpc/request', '{"op":"reboot"}', {
      qos: 1,
      properties: { contentType: 'application/json', responseTopic: 'rpc/reply/1', correlationData: Buffer.from('c-1'), userProperties: { origin: 'dashboard' }, payloadFormatIndicator: true },
    });
    await waitFor('request', () => got.length === 1);
    expect(got[0]!.properties).toMatchObject({ contentType: 'application/json', responseTopic: 'rpc/reply/1', correlationData: Buffer.from('c-1'), userProperties: { origin: 'dashboard' }, payloadFormatIndicator: true });
    await quiet();
    expect(echo).toEqual([]);
    await endAll(responder, requester);
  });

  it('keeps topic levels out of NATS syntax: dots, stars, >, spaces and empty levels round-trip exactly', async () => {
    const subscriber = await app(b.port);
    const got = inbox(subscriber);
    await subscriber.subscribeAsync('weird/#', { qos: 1 });
    const topics = ['weird/a.b', 'weird/*', 'weird/>', 'weird/two words', 'weird//empty', 'weird/_2E', 'weird/é'];
    const publisher = await app(a.port);
    for (const topic of topics) await publisher.publishAsync(topic, topic, { qos: 1 });
    await waitFor('every topic', () => got.length === topics.length);
    expect(got.map((m) => [m.topic, m.payload])).toEqual(topics.map((t) => [t, t]));
    // A one-level wildcard matches one level, whatever it contains.
    const single = await app(b.port);
    const one = inbox(single);
    await single.subscribeAsync('weird/+', { qos: 1 });
    await publisher.publishAsync('weird/x.y.z', 'dotted', { qos: 1 });
    await publisher.publishAsync('weird/x/y', 'deeper', { qos: 1 });
    await waitFor('dotted', () => one.length >= 1);
    await quiet();
    expect(one.map((m) => m.topic)).toEqual(['weird/x.y.z']);
    await endAll(subscriber, publisher, single);
  });

  it('never matches $ topics with a leading wildcard, and refuses publishing under $flotilla/ and $SYS/', async () => {
    const all = await app(b.port);
    // `#` does not cover `$app/#` [MQTT-4.7.2-1]: the rule has to name it.
    const dollar = await app(b.port, 'acme', { subscribe: { allow: ['$app/#'], deny: [] } });
    const gotAll = inbox(all);
    const gotDollar = inbox(dollar);
    await all.subscribeAsync('#', { qos: 1 });
    await dollar.subscribeAsync('$app/#', { qos: 1 });
    const publisher = await app(a.port, 'acme', { publish: { allow: ['#', '$app/#', '$flotilla/#', '$SYS/#'], deny: [] } });
    await publisher.publishAsync('$app/status', 'dollar', { qos: 1 });
    await waitFor('$ subscriber', () => gotDollar.length === 1);
    await quiet();
    expect(gotAll.filter((m) => m.topic.startsWith('$'))).toEqual([]);
    // Reserved whatever the rules say.
    await expect(publisher.publishAsync('$flotilla/events/geo/x/DevicePositionReported', '{}', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    await expect(publisher.publishAsync('$SYS/broker/uptime', '1', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    await endAll(all, dollar, publisher);
  });

  it('applies the allow and deny rules to publish and subscribe, for MQTT 5 and MQTT 3.1.1', async () => {
    const rules = { publish: { allow: ['reports/#'], deny: ['reports/private/#'] }, subscribe: { allow: ['reports/#'], deny: ['reports/private/#'] } };
    const limited = await app(a.port, 'acme', rules);
    await expect(limited.publishAsync('reports/daily', 'ok', { qos: 1 })).resolves.toBeDefined();
    await expect(limited.publishAsync('reports/private/salaries', 'no', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    await expect(limited.publishAsync('elsewhere', 'no', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    // MQTT.js rejects a SUBACK with any refusal; the packet says what each filter got.
    await expect(limited.subscribeAsync({ 'reports/#': { qos: 1 }, 'reports/private/#': { qos: 1 }, '#': { qos: 1 } })).rejects.toMatchObject({ packet: { granted: [1, 0x87, 0x87] } });
    // A granted filter that overlaps a deny filter never delivers the denied topics.
    const got = inbox(limited);
    const writer = await app(b.port);
    await writer.publishAsync('reports/private/salaries', 'secret', { qos: 1 });
    await writer.publishAsync('reports/weekly', 'public', { qos: 1 });
    await waitFor('public report', () => got.length >= 1);
    await quiet();
    expect(got.map((m) => m.payload)).toEqual(['public']);
    // MQTT 3.1.1 has no negative PUBACK: a publish outside the rules ends the connection, SUBACK says 0x80.
    const v4 = await app(a.port, 'acme', rules, { protocolVersion: 4 });
    await expect(v4.subscribeAsync('elsewhere/#', { qos: 1 })).rejects.toMatchObject({ packet: { granted: [0x80] } });
    const closed = new Promise<void>((resolve) => v4.once('close', () => resolve()));
    v4.publish('elsewhere', 'x', { qos: 1 });
    await closed;
    await endAll(limited, writer, v4);
  });

  it('isolates tenants: the same topic in another tenant is another topic', async () => {
    const other = await app(b.port, 'globex');
    const gotOther = inbox(other);
    await other.subscribeAsync('#', { qos: 1 });
    const mine = await app(b.port, 'acme');
    const gotMine = inbox(mine);
    await mine.subscribeAsync('shared/topic', { qos: 1 });
    const publisher = await app(a.port, 'acme');
    await publisher.publishAsync('shared/topic', 'acme only', { qos: 1, retain: true });
    await waitFor('acme subscriber', () => gotMine.length === 1);
    await quiet();
    expect(gotOther).toEqual([]);
    // Nor does a later subscriber of the other tenant get acme's retained message.
    const late = await app(a.port, 'globex');
    const gotLate = inbox(late);
    await late.subscribeAsync('shared/#', { qos: 1 });
    await quiet();
    expect(gotLate).toEqual([]);
    await endAll(other, mine, publisher, late);
  });

  it('keeps retained messages per topic for later subscribers on any replica; an empty payload removes one', async () => {
    const publisher = await app(a.port);
    await publisher.publishAsync('config/line-1', '{"speed":3}', { qos: 1, retain: true, properties: { contentType: 'application/json' } });
    await publisher.publishAsync('config/line-2', '{"speed":4}', { qos: 0, retain: true });
    const late = await app(b.port);
    const got = inbox(late);
    await late.subscribeAsync('config/+', { qos: 1 });
    await waitFor('two retained', () => got.length === 2);
    expect(got.sort((x, y) => x.topic.localeCompare(y.topic)).map(({ topic, payload, qos, retain }) => ({ topic, payload, qos, retain }))).toEqual([
      { topic: 'config/line-1', payload: '{"speed":3}', qos: 1, retain: true },
      { topic: 'config/line-2', payload: '{"speed":4}', qos: 0, retain: true },
    ]);
    expect(got[0]!.properties).toMatchObject({ contentType: 'application/json' });
    // Connected subscribers get a retained publish as a live message: retain 0 [MQTT-3.3.1-9].
    await publisher.publishAsync('config/line-1', '{"speed":5}', { qos: 1, retain: true });
    await waitFor('live update', () => got.length === 3);
    expect(got[2]).toMatchObject({ topic: 'config/line-1', payload: '{"speed":5}', retain: false });
    await publisher.publishAsync('config/line-2', '', { qos: 1, retain: true });
    const later = await app(a.port);
    const gotLater = inbox(later);
    await later.subscribeAsync('config/+', { qos: 1 });
    await waitFor('one retained left', () => gotLater.length === 1);
    await quiet();
    expect(gotLater.map((m) => [m.topic, m.payload])).toEqual([['config/line-1', '{"speed":5}']]);
    await endAll(publisher, late, later);
  });

  it("publishes an application's will when its socket dies, to subscribers on another replica", async () => {
    const watcher = await app(b.port);
    const got = inbox(watcher);
    await watcher.subscribeAsync('integrations/+/state', { qos: 1 });
    const dying = await app(a.port, 'acme', {}, { will: { topic: 'integrations/erp/state', payload: Buffer.from('offline'), qos: 1, retain: false } });
    (dying as unknown as { stream: { destroy(): void } }).stream.destroy();
    await waitFor('will', () => got.length === 1);
    expect(got[0]).toMatchObject({ topic: 'integrations/erp/state', payload: 'offline', qos: 1 });
    await endAll(watcher, dying);
  });

  it('resumes a persistent session on the other replica with the QoS 1/2 messages it missed, in order', async () => {
    const id = `persistent-${++seq}`;
    const credentials = await a.putApplication('acme', id);
    const options = { ...credentials, clientId: id, protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await connectMqtt(a.port, options);
    await first.subscribeAsync('orders/#', { qos: 2 });
    await first.endAsync();
    const store = new SessionStore((await a.bus.ensureBuckets([{ name: SESSIONS_BUCKET }])).get(SESSIONS_BUCKET)!);
    await waitFor('session saved at disconnect', async () => (await store.load(id))?.disconnectedAt ?? undefined);
    const publisher = await app(b.port);
    await publisher.publishAsync('orders/1', 'first', { qos: 1 });
    await publisher.publishAsync('orders/2', 'fleeting', { qos: 0 });
    await publisher.publishAsync('orders/3', 'second', { qos: 2 });
    const got: Received[] = [];
    const resumed = await connectMqtt(b.port, { ...options, customHandleAcks: undefined });
    resumed.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
    await waitFor('two missed messages', () => got.length >= 2);
    await quiet();
    expect(got.map(({ topic, payload, qos }) => ({ topic, payload, qos }))).toEqual([
      { topic: 'orders/1', payload: 'first', qos: 1 },
      { topic: 'orders/3', payload: 'second', qos: 2 },
    ]);
    // And it goes on receiving live messages on the resumed subscription.
    await publisher.publishAsync('orders/4', 'live', { qos: 1 });
    await waitFor('live message', () => got.length === 3);
    await endAll(resumed, publisher);
  });

  it("delivers its tenant's device events under $flotilla/events/, and no other tenant's", async () => {
    const watcher = await app(b.port);
    const got = inbox(watcher);
    await watcher.subscribeAsync('$flotilla/events/geo/+/DevicePositionReported', { qos: 1 });
    const serial = `evt-${++seq}`;
    const password = generateSecret();
    await a.putCredential(credentialKey.username(serial), { tenant: 'acme', deviceId: serial, dialect: 'flyve', kind: 'username-password', secret: hashGeneratedSecret(password) });
    const foreign = `evt-foreign-${seq}`;
    await a.putCredential(credentialKey.username(foreign), { tenant: 'globex', deviceId: foreign, dialect: 'flyve', kind: 'username-password', secret: hashGeneratedSecret(password) });
    const device = await connectMqtt(a.port, { username: serial, password, clientId: serial });
    const other = await connectMqtt(a.port, { username: foreign, password, clientId: foreign });
    await other.publishAsync(`globex/agent/${foreign}/Status/Geolocation`, position(1, 2), { qos: 1 });
    await device.publishAsync(`acme/agent/${serial}/Status/Geolocation`, position(48.1, -1.6, 1_700_000_000), { qos: 1 });
    await waitFor('position event', () => got.length === 1);
    await quiet();
    expect(got).toHaveLength(1);
    expect(got[0]!.topic).toBe(`$flotilla/events/geo/${serial}/DevicePositionReported`);
    expect(JSON.parse(got[0]!.payload)).toMatchObject({ type: 'DevicePositionReported', tenant: 'acme', data: { deviceId: serial, lat: 48.1, lon: -1.6 } });
    expect(got[0]!.properties).toMatchObject({ contentType: 'application/json' });
    // An application without the events rule is refused the subscription.
    const plain = await app(a.port, 'acme', { subscribe: { allow: ['#'], deny: [] } });
    await expect(plain.subscribeAsync('$flotilla/events/#', { qos: 1 })).rejects.toMatchObject({ packet: { granted: [0x87] } });
    await endAll(watcher, device, other, plain);
  });

  it('disconnects an application whose credential changes, and refuses a wrong password or a revoked one', async () => {
    const client = await app(a.port);
    const id = (client.options.clientId as string)!;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await a.putApplication('acme', id, { revoked: true });
    await closed;
    await expect(connectMqtt(a.port, { username: id, password: 'wrong', clientId: id, protocolVersion: 5 })).rejects.toThrow(/Bad User Name or Password|Not authorized/i);
    await endAll(client);
  });
});

describe('the loopback sandbox', () => {
  it('admits clients without credentials as applications of the sandbox tenant, and only there', async () => {
    const port = a.service.ports.sandbox!;
    const subscriber = await connectMqtt(port, { clientId: 'sandbox-sub', protocolVersion: 5 });
    const got = inbox(subscriber);
    await subscriber.subscribeAsync('anything/#', { qos: 1 });
    const publisher = await connectMqtt(port, { clientId: 'sandbox-pub', protocolVersion: 4 });
    await publisher.publishAsync('anything/goes', 'hello', { qos: 1 });
    await waitFor('sandbox message', () => got.length === 1);
    expect(got[0]).toMatchObject({ topic: 'anything/goes', payload: 'hello' });
    // Everything in the sandbox tenant's tree, `$` topics included (as an anonymous broker would).
    await subscriber.subscribeAsync('$app/#', { qos: 1 });
    await publisher.publishAsync('$app/state', 'dollar', { qos: 1 });
    await waitFor('$ message', () => got.length === 2);
    expect(got[1]).toMatchObject({ topic: '$app/state', payload: 'dollar' });
    // The same anonymous client on the normal listener is refused.
    await expect(connectMqtt(a.port, { clientId: 'sandbox-pub', protocolVersion: 5 })).rejects.toThrow();
    await endAll(subscriber, publisher);
  });
});

describe('application sessions across replicas', () => {
  it('a connection with the same client id on the other replica takes the session over (MQTT 5: 0x8E)', async () => {
    const credentials = await a.putApplication('acme', 'takeover-app');
    const first = await connectMqtt(a.port, { ...credentials, clientId: 'takeover-1', protocolVersion: 5 });
    const reason = new Promise<number | undefined>((resolve) => first.once('disconnect', (packet) => resolve(packet.reasonCode)));
    const second = await connectMqtt(b.port, { ...credentials, clientId: 'takeover-1', protocolVersion: 5 });
    expect(await reason).toBe(0x8e);
    // Another client id of the same application is another session: both stay.
    const third = await connectMqtt(b.port, { ...credentials, clientId: 'takeover-2', protocolVersion: 5 });
    await quiet();
    expect(second.connected && third.connected).toBe(true);
    await endAll(first, second, third);
  });

  it('a client that reconnects to the other replica at once resumes the state its last connection reached', async () => {
    const credentials = await a.putApplication('acme', 'quick-app');
    const options = { ...credentials, clientId: 'quick-1', protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 300 } };
    const publisher = await app(a.port);
    for (let round = 1; round <= 3; round++) {
      const before = await connectMqtt(round % 2 ? a.port : b.port, options);
      // The last change before leaving: a new subscription, written to the session as the client leaves.
      await before.subscribeAsync(`quick/${round}`, { qos: 1 });
      await before.endAsync();
      const after = await connectMqtt(round % 2 ? b.port : a.port, { ...options, clean: false });
      const got = inbox(after);
      await publisher.publishAsync(`quick/${round}`, `round ${round}`, { qos: 1 });
      await waitFor(`round ${round}`, () => got.length === 1);
      expect(got[0]).toMatchObject({ topic: `quick/${round}`, payload: `round ${round}` });
      await after.endAsync();
    }
    await endAll(publisher);
  });
});

describe('MQTT 5 Maximum Packet Size of the client', () => {
  it('never sends a client a message larger than it accepts [MQTT-3.1.2-24/25], and goes on delivering smaller ones', async () => {
    const small = await app(a.port, 'acme', {}, { properties: { maximumPacketSize: 64 } });
    const got = inbox(small);
    await small.subscribeAsync('sized/#', { qos: 1 });
    const publisher = await app(b.port);
    await publisher.publishAsync('sized/a', '.'.repeat(20), { qos: 1 });
    await publisher.publishAsync('sized/b', '.'.repeat(100), { qos: 1 });
    await publisher.publishAsync('sized/c', '.'.repeat(10), { qos: 1 });
    await waitFor('the two small messages', () => got.length === 2);
    await quiet();
    expect(got.map((m) => m.topic)).toEqual(['sized/a', 'sized/c']);
    await endAll(small, publisher);
  });
});
