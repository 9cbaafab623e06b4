import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestGateway } from '../gateway.fixture.js';
import { rawClient } from './raw-client.fixture.js';

// hardening.md §1: every malformed input ends in a refusal or a close, and a fresh client still works.

let g: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  g = await startTestGateway({ MQTT_AUTH_MAX_FAILURES: 1_000 });
});
afterAll(() => g.stop());

const connect4 = (fields: Record<string, unknown> = {}) =>
  mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'bad', clean: true, keepalive: 30, username: 'bad-1', password: Buffer.from(PASSWORD), ...fields } as Packet);
/** `bytes` with the byte at `index` changed (index 9 of a CONNECT is its flags, 8 its protocol level). */
const withByte = (bytes: Buffer, index: number, change: (value: number) => number) => {
  bytes.writeUInt8(change(bytes.readUInt8(index)), index);
  return bytes;
};
const connected = async (version: 4 | 5 = 4) => {
  const client = await rawClient(g.port, version);
  client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId: `ok-${Math.random()}`, clean: true, keepalive: 30, username: `ok-${version}`, password: Buffer.from(PASSWORD) });
  await client.next('connack');
  return client;
};
/** Sends raw bytes on a fresh connection and expects the server to close it without accepting. */
async function refusedRaw(bytes: Buffer, afterConnect = false): Promise<void> {
  const client = afterConnect ? await connected() : await rawClient(g.port, 4);
  client.sendBytes(bytes);
  await client.closed;
  await expect(client.next('connack', 50)).rejects.toThrow();
}
async function stillServing(): Promise<void> {
  const client = await connected();
  client.send({ cmd: 'pingreq' });
  await client.next('pingresp');
  client.destroy();
}

describe('malformed packets close the connection and nothing else', () => {
  it.each([
    ['CONNECT with reserved flag bit 0 set [MQTT-3.1.2-3]', () => withByte(connect4(), 9, (v) => v | 0x01)],
    ['CONNECT with will QoS but no will flag [MQTT-3.1.2-13]', () => withByte(connect4(), 9, (v) => v | 0x08)],
    ['CONNECT with will retain but no will flag [MQTT-3.1.2-15]', () => withByte(connect4(), 9, (v) => v | 0x20)],
    [
      'CONNECT with a password but no username [MQTT-3.1.2-22]',
      () => {
        // Built by hand: mqtt-packet will not encode it. Flags 0x42 = password + clean session.
        const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x42, 0, 30, 0, 3]), Buffer.from('bad'), Buffer.from([0, PASSWORD.length]), Buffer.from(PASSWORD)]);
        return Buffer.concat([Buffer.from([0x10, body.length]), body]);
      },
    ],
    ['CONNECT of an unknown protocol level', () => withByte(connect4(), 8, () => 6)],
    ['CONNECT with fixed-header flags set [MQTT-2.2.2-2]', () => withByte(connect4(), 0, () => 0x11)],
    ['a Remaining Length with a fifth continuation byte', () => Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01])],
    ['a client id with U+0000 [MQTT-1.5.4-2]', () => connect4({ clientId: 'a\u0000b' })],
    ['a username with U+0000', () => connect4({ username: 'bad\u0000x' })],
  ])('%s', async (_name, bytes) => {
    await refusedRaw(bytes());
    await stillServing();
  });

  it.each([
    ['PUBLISH at QoS 3 [MQTT-3.3.1-4]', Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01])],
    ['PUBLISH at QoS 1 with packet id 0 [MQTT-2.3.1-1]', Buffer.from([0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00])],
    ['SUBSCRIBE without the 0010 flags [MQTT-3.8.1-1]', Buffer.from([0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00])],
    ['SUBSCRIBE with no filter [MQTT-3.8.3-3]', Buffer.from([0x82, 0x02, 0x00, 0x01])],
    ['UNSUBSCRIBE without the 0010 flags [MQTT-3.10.1-1]', Buffer.from([0xa0, 0x05, 0x00, 0x01, 0x00, 0x01, 0x61])],
    ['PUBREL without the 0010 flags [MQTT-3.6.1-1]', Buffer.from([0x60, 0x02, 0x00, 0x01])],
    ['a topic with U+0000', Buffer.from([0x30, 0x05, 0x00, 0x03, 0x61, 0x00, 0x62])],
    ['a CONNACK from a client', Buffer.from([0x20, 0x02, 0x00, 0x00])],
    ['a SUBACK from a client', Buffer.from([0x90, 0x03, 0x00, 0x01, 0x00])],
    ['a PINGRESP from a client', Buffer.from([0xd0, 0x00])],
  ])('after CONNECT: %s', async (_name, bytes) => {
    await refusedRaw(bytes, true);
    await stillServing();
  });
});

describe('refused with a CONNACK', () => {
  it.each([4, 5] as const)('a will topic with a wildcard [MQTT-3.3.2-2], protocol level %i', async (version) => {
    const client = await rawClient(g.port, version);
    client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId: 'will-wild', clean: true, keepalive: 30, username: 'will-wild', password: Buffer.from(PASSWORD), will: { topic: 'acme/agent/will-wild/Status/#', payload: Buffer.from('x'), qos: 0, retain: false } });
    expect(await client.next('connack')).toMatchObject(version === 5 ? { reasonCode: 0x90 } : { returnCode: 5 });
    await client.closed;
  });
});

describe('MQTT 5 specifics', () => {
  it.each([
    ['a Receive Maximum of 0', { receiveMaximum: 0 }],
    ['a Maximum Packet Size of 0', { maximumPacketSize: 0 }],
  ])('refuses a CONNECT with %s (0x82)', async (_name, properties) => {
    const client = await rawClient(g.port, 5);
    client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'props', clean: true, keepalive: 30, username: 'props', password: Buffer.from(PASSWORD), properties });
    expect(await client.next('connack')).toMatchObject({ reasonCode: 0x82 });
    await client.closed;
  });

  it('closes a SUBSCRIBE carrying a subscription identifier, announced as unavailable (0xA1)', async () => {
    const client = await connected(5);
    client.send({ cmd: 'subscribe', messageId: 1, properties: { subscriptionIdentifier: 7 }, subscriptions: [{ topic: 'acme/agent/ok-5/Command/#', qos: 1 }] });
    expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0xa1 });
    await stillServing();
  });

  it('refuses an AUTH packet when no authentication method was negotiated', async () => {
    const client = await connected(5);
    client.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-1' } });
    expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x82 });
    await client.closed;
  });

  it('refuses a QoS 2 PUBLISH flood beyond the receive maximum with 0x93', async () => {
    const client = await connected(5);
    for (let id = 1; id <= 11; id++) client.send({ cmd: 'publish', topic: 'acme/agent/ok-5/Status/Geolocation', payload: '?', qos: 2, messageId: id, dup: false, retain: false });
    expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x93 });
    await stillServing();
  });

  it('bounds MQTT 5 user properties: a PUBLISH or a CONNECT with more than 64 is refused (0x83)', async () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    const client = await connected(5);
    client.send({ cmd: 'publish', topic: 'acme/agent/ok-5/Status/Geolocation', payload: '?', qos: 1, messageId: 1, dup: false, retain: false, properties: { userProperties: many } });
    expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x83 });
    await client.closed;
    const connecting = await rawClient(g.port, 5);
    connecting.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'many-props', clean: true, keepalive: 30, username: 'ok-5', password: Buffer.from(PASSWORD), properties: { userProperties: many } });
    expect(await connecting.next('connack')).toMatchObject({ reasonCode: 0x83 });
    await connecting.closed;
    // Up to the cap is fine.
    const fine = await connected(5);
    fine.send({ cmd: 'publish', topic: 'acme/agent/ok-5/Status/Geolocation', payload: '?', qos: 1, messageId: 2, dup: false, retain: false, properties: { userProperties: { a: Array.from({ length: 64 }, () => 'v') } } });
    expect(await fine.next('puback')).toMatchObject({ messageId: 2 });
    await stillServing();
  });

  it('refuses a single-valued MQTT 5 property given twice (0x82), in CONNECT and in PUBLISH', async () => {
    // mqtt-packet writes a property given as an array once per element, as a client repeating it would.
    const connecting = await rawClient(g.port, 5);
    connecting.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'twice', clean: true, keepalive: 30, username: 'ok-5', password: Buffer.from(PASSWORD), properties: { sessionExpiryInterval: [10, 20] } } as never);
    expect(await connecting.next('connack')).toMatchObject({ reasonCode: 0x82 });
    await connecting.closed;
    const client = await connected(5);
    client.send({ cmd: 'publish', topic: 'acme/agent/ok-5/Status/Geolocation', payload: '?', qos: 1, messageId: 3, dup: false, retain: false, properties: { contentType: ['a', 'b'] } } as never);
    expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x82 });
    await client.closed;
    await stillServing();
  });
});
