import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DevicePositionReported } from '@flotilla/contracts';
import { waitFor } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, position, startTestGateway } from '../gateway.fixture.js';
import { rawClient, type RawClient } from './raw-client.fixture.js';

let g: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  g = await startTestGateway();
});
afterAll(() => g.stop());

async function device(serial: string, protocolVersion: 4 | 5 = 4): Promise<RawClient> {
  const client = await rawClient(g.port, protocolVersion);
  client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clientId: serial, clean: true, keepalive: 30, username: serial, password: Buffer.from(PASSWORD) });
  expect(await client.next('connack')).toMatchObject(protocolVersion === 5 ? { reasonCode: 0 } : { returnCode: 0 });
  return client;
}

const geoTopic = (serial: string, tenant = 'acme') => `${tenant}/agent/${serial}/Status/Geolocation`;
const latest = async (serial: string) => {
  const stored = await g.bus.connection.jsm.streams.getMessage(g.bus.names.stream('geo'), { last_by_subj: g.bus.names.subject(DevicePositionReported.subject('acme', serial)) });
  return DevicePositionReported.parse(stored!.json());
};

describe('device PUBLISH', () => {
  it('sends PUBACK only once the position is stored in JetStream', async () => {
    const client = await device('p-qos1');
    client.send({ cmd: 'publish', topic: geoTopic('p-qos1'), payload: position(48.1054276, -1.67820699, 1476345332), qos: 1, messageId: 7, dup: false, retain: false });
    expect(await client.next('puback')).toMatchObject({ messageId: 7 });
    // No polling: the event is there the moment the ack arrived.
    expect((await latest('p-qos1')).data).toMatchObject({ lat: 48.1054276, lon: -1.67820699, reportedAt: new Date(1476345332000), source: 'flyve' });
    client.destroy();
  });

  it('accepts numeric strings and the legacy leading-slash topic', async () => {
    const client = await device('p-legacy');
    client.send({ cmd: 'publish', topic: `/${geoTopic('p-legacy')}`, payload: JSON.stringify({ latitude: '10.5', longitude: '-20.25', datetime: '1700000000' }), qos: 1, messageId: 1, dup: false, retain: false });
    await client.next('puback');
    expect((await latest('p-legacy')).data).toMatchObject({ lat: 10.5, lon: -20.25 });
    client.destroy();
  });

  it('completes the QoS 2 handshake and stores a message resent before PUBREL once', async () => {
    const before = await g.count('geo');
    const client = await device('p-qos2', 5);
    const publish = { cmd: 'publish' as const, topic: geoTopic('p-qos2'), payload: position(1, 2, 1700000100), qos: 2 as const, messageId: 42, dup: false, retain: false };
    client.send(publish);
    // A successful MQTT 5 ack in its short form: no reason code, no properties [MQTT-3.5.2-1].
    expect(await client.next('pubrec')).toMatchObject({ messageId: 42, length: 2 });
    client.send({ ...publish, dup: true });
    expect(await client.next('pubrec')).toMatchObject({ messageId: 42 });
    client.send({ cmd: 'pubrel', messageId: 42 });
    expect(await client.next('pubcomp')).toMatchObject({ messageId: 42 });
    expect(await g.count('geo')).toBe(before + 1);
    client.destroy();
  });

  it('stores a QoS 1 resend of the same payload once (JetStream de-duplication)', async () => {
    const before = await g.count('geo');
    const client = await device('p-dup');
    for (const messageId of [1, 2]) {
      client.send({ cmd: 'publish', topic: geoTopic('p-dup'), payload: position(3, 4, 1700000200), qos: 1, messageId, dup: messageId === 2, retain: false });
      await client.next('puback');
    }
    expect(await g.count('geo')).toBe(before + 1);
    client.destroy();
  });

  it('answers an invalid payload with 0x99 in MQTT 5, a PUBACK in MQTT 3, and keeps it as a dead letter', async () => {
    const v5 = await device('p-bad5', 5);
    v5.send({ cmd: 'publish', topic: geoTopic('p-bad5'), payload: position(91, 0), qos: 1, messageId: 3, dup: false, retain: false });
    expect(await v5.next('puback')).toMatchObject({ messageId: 3, reasonCode: 0x99 });
    const v4 = await device('p-bad4', 4);
    v4.send({ cmd: 'publish', topic: geoTopic('p-bad4'), payload: 'not json', qos: 1, messageId: 4, dup: false, retain: false });
    expect(await v4.next('puback')).toMatchObject({ messageId: 4 });
    const letters = await g.deadLetters();
    expect(letters).toContainEqual({ payload: position(91, 0), topic: geoTopic('p-bad5'), reason: expect.stringMatching(/payload-invalid: latitude/) });
    expect(letters).toContainEqual({ payload: 'not json', topic: geoTopic('p-bad4'), reason: expect.stringMatching(/payload is not JSON/) });
    v5.destroy();
    v4.destroy();
  });

  it("refuses another device's or tenant's topic: 0x87 in MQTT 5, closed in MQTT 3, nothing stored", async () => {
    const before = await g.count('geo');
    const v5 = await device('p-acl5', 5);
    for (const [messageId, topic] of [[5, geoTopic('someone-else')], [6, geoTopic('p-acl5', 'globex')], [7, 'acme/agent/p-acl5/Command/Wipe']] as const) {
      v5.send({ cmd: 'publish', topic, payload: position(), qos: 1, messageId, dup: false, retain: false });
      expect(await v5.next('puback')).toMatchObject({ messageId, reasonCode: 0x87 });
    }
    const v4 = await device('p-acl4', 4);
    v4.send({ cmd: 'publish', topic: geoTopic('someone-else'), payload: position(), qos: 1, messageId: 8, dup: false, retain: false });
    await v4.closed;
    expect(await g.count('geo')).toBe(before);
    v5.destroy();
  });

  it('answers an unhandled status topic with 0x90 and keeps it', async () => {
    const v5 = await device('p-unknown', 5);
    v5.send({ cmd: 'publish', topic: 'acme/agent/p-unknown/Status/Teleport', payload: '{}', qos: 1, messageId: 9, dup: false, retain: false });
    expect(await v5.next('puback')).toMatchObject({ reasonCode: 0x90 });
    expect(await g.deadLetters()).toContainEqual(expect.objectContaining({ topic: 'acme/agent/p-unknown/Status/Teleport' }));
    v5.destroy();
  });

  it('closes on a wildcard in a PUBLISH topic [MQTT-3.3.2-2] and on invalid UTF-8 in the topic', async () => {
    const wildcard = await device('p-wild', 5);
    wildcard.send({ cmd: 'publish', topic: 'acme/agent/p-wild/Status/+', payload: '', qos: 0, dup: false, retain: false });
    expect(await wildcard.next('disconnect')).toMatchObject({ reasonCode: 0x90 });
    const utf8 = await device('p-utf8', 4);
    const topic = Buffer.from([0x61, 0xff, 0xfe]);
    utf8.sendBytes(Buffer.concat([Buffer.from([0x30, 2 + topic.length + 1, 0, topic.length]), topic, Buffer.from('x')]));
    await utf8.closed;
  });

  it('closes a packet declared larger than the maximum before its body arrives', async () => {
    const big = await device('p-big', 5);
    // PUBLISH declaring 1 MiB of remaining length, with only a few bytes sent.
    big.sendBytes(Buffer.from([0x30, 0x80, 0x80, 0x40, 0x00, 0x01, 0x61]));
    expect(await big.next('disconnect')).toMatchObject({ reasonCode: 0x95 });
    await big.closed;
  });

  it('resolves MQTT 5 topic aliases, and closes on an alias out of range (0x94) or never set (0x82)', async () => {
    const before = await g.count('geo');
    const client = await device('p-alias', 5);
    const base = { cmd: 'publish' as const, qos: 1 as const, dup: false, retain: false };
    client.send({ ...base, topic: geoTopic('p-alias'), payload: position(5, 5, 1700000500), messageId: 1, properties: { topicAlias: 3 } });
    await client.next('puback');
    client.send({ ...base, topic: '', payload: position(6, 6, 1700000600), messageId: 2, properties: { topicAlias: 3 } });
    expect(await client.next('puback')).toMatchObject({ messageId: 2 });
    expect(await g.count('geo')).toBe(before + 2);
    expect((await latest('p-alias')).data).toMatchObject({ lat: 6, lon: 6 });
    client.send({ ...base, topic: geoTopic('p-alias'), payload: position(), messageId: 3, properties: { topicAlias: 33 } });
    expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x94 });
    const unset = await device('p-alias-2', 5);
    unset.send({ ...base, topic: '', payload: position(), messageId: 1, properties: { topicAlias: 7 } });
    expect(await unset.next('disconnect')).toMatchObject({ reasonCode: 0x82 });
  });

  it('stores a position sent with mosquitto_pub', async () => {
    await promisify(execFile)('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(g.port), '-q', '1', '-u', 'p-mosq', '-P', PASSWORD, '-t', geoTopic('p-mosq'), '-m', position(-33.8688, 151.2093)]);
    await waitFor('stored position', async () => (await latest('p-mosq')).data.lat === -33.8688);
  });
});
