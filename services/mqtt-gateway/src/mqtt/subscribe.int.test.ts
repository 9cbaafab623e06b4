import { connectMqtt, endAll } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestGateway } from '../gateway.fixture.js';
import { rawClient } from './raw-client.fixture.js';

let g: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  g = await startTestGateway();
});
afterAll(() => g.stop());

describe('SUBSCRIBE', () => {
  it('grants a device its own tree (as 2018 agents subscribe), its Command/ and Policy/ trees and the manifest, and refuses the rest with 0x80 (MQTT 3.1.1)', async () => {
    const client = await rawClient(g.port, 4);
    client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'phone-s', clean: true, keepalive: 30, username: 'phone-s', password: Buffer.from(PASSWORD) });
    await client.next('connack');
    const filters = [
      ['acme/agent/phone-s/#', 0],
      ['acme/agent/phone-s/Command/#', 1],
      ['acme/agent/phone-s/Policy/#', 1],
      ['FlyvemdmManifest/Status/Version', 0],
      ['/acme/agent/phone-s/Command/Wipe', 2],
      ['acme/agent/other/Command/#', 128],
      ['acme/agent/+/Command/#', 128],
      ['#', 128],
      ['globex/agent/phone-s/Command/#', 128],
      ['acme/agent/phone-s/Status/#', 128],
      ['acme/agent/phone-s/+', 128],
      ['acme/agent/phone-s', 128],
      ['$SYS/#', 128],
    ] as const;
    client.send({ cmd: 'subscribe', messageId: 10, subscriptions: filters.map(([topic]) => ({ topic, qos: 2 as const })) });
    expect((await client.next('suback')).granted).toEqual(filters.map(([, code]) => (code === 128 ? 128 : 2)));
    client.destroy();
  });

  it('works with MQTT.js for the filters an agent uses', async () => {
    const client = await connectMqtt(g.port, { protocolVersion: 4, username: 'phone-m', password: PASSWORD, clientId: 'phone-m' });
    const granted = await client.subscribeAsync({ 'acme/agent/phone-m/Command/#': { qos: 1 }, 'FlyvemdmManifest/#': { qos: 0 } });
    expect(granted.map((grant) => grant.qos)).toEqual([1, 0]);
    await endAll(client);
  });

  it('answers MQTT 5 with 0x87 for a foreign filter and 0x8F for a malformed one', async () => {
    const client = await rawClient(g.port, 5);
    client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'phone-t', clean: true, keepalive: 30, username: 'phone-t', password: Buffer.from(PASSWORD) });
    await client.next('connack');
    client.send({
      cmd: 'subscribe',
      messageId: 11,
      subscriptions: [
        { topic: 'acme/agent/phone-t/Command/Lock', qos: 2 },
        { topic: 'acme/agent/phone-x/Command/Lock', qos: 1 },
        { topic: 'acme/agent/phone-t/Command/#/x', qos: 1 },
        { topic: 'acme/agent/phone-t/Comm+', qos: 1 },
      ],
    });
    expect(await client.next('suback')).toMatchObject({ messageId: 11, granted: [2, 0x87, 0x8f, 0x8f] });
    client.send({ cmd: 'unsubscribe', messageId: 12, unsubscriptions: ['acme/agent/phone-t/Command/Lock', 'never/subscribed'] });
    expect(await client.next('unsuback')).toMatchObject({ messageId: 12, granted: [0, 0x11] });
    client.destroy();
  });
});
