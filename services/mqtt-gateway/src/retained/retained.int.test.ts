import { retainedKey, type RetainedMessage } from '@flotilla/contracts';
import { credentialKey, generateSecret, hashGeneratedSecret } from '@flotilla/credentials';
import { connectMqtt, endAll, waitFor } from '@flotilla/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../gateway.fixture.js';
import { RETAINED_BUCKET } from '../service.js';

let g: Awaited<ReturnType<typeof startTestGateway>>;
let put: (topic: string, payload: string, qos?: 0 | 1 | 2) => Promise<void>;
beforeAll(async () => {
  g = await startTestGateway();
  const kv = (await g.bus.ensureBuckets([{ name: RETAINED_BUCKET }])).get(RETAINED_BUCKET)!;
  put = async (topic, payload, qos = 1) => {
    const message: RetainedMessage = { version: 1, topic, payload: Buffer.from(payload).toString('base64'), qos, updatedAt: new Date() };
    await kv.put(retainedKey(topic), JSON.stringify(message));
  };
});
afterAll(() => g.stop());

async function fleetDevice(serial: string, fleet: string | null) {
  const password = generateSecret();
  await g.putCredential(credentialKey.username(serial), { tenant: 'acme', deviceId: serial, dialect: 'flyve', kind: 'username-password', secret: hashGeneratedSecret(password), fleet });
  return connectMqtt(g.port, { username: serial, password, clientId: serial });
}
function inbox(client: MqttClient) {
  const messages: { topic: string; payload: string; retain: boolean; qos: number }[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain, qos: packet.qos }));
  return messages;
}

describe('retained state from KV', () => {
  it("delivers its fleet's policy groups on subscribe, flagged retained, and refuses another fleet", async () => {
    await put('acme/fleet/7/policies', '{"policies":[{"passwordEnabled":"PASSWORD_PIN","taskId":"2"}]}');
    await put('acme/fleet/7/camera', '{"camera":[{"disableCamera":"true","taskId":"3"}]}', 0);
    await put('acme/fleet/8/policies', '{"policies":[]}');
    const device = await fleetDevice('fleet-a', '7');
    const messages = inbox(device);
    const granted = await device.subscribeAsync('acme/fleet/7/#', { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    await waitFor('two retained messages', () => messages.length === 2);
    expect(messages.sort((a, b) => a.topic.localeCompare(b.topic))).toEqual([
      { topic: 'acme/fleet/7/camera', payload: '{"camera":[{"disableCamera":"true","taskId":"3"}]}', retain: true, qos: 0 },
      { topic: 'acme/fleet/7/policies', payload: '{"policies":[{"passwordEnabled":"PASSWORD_PIN","taskId":"2"}]}', retain: true, qos: 1 },
    ]);
    await expect(device.subscribeAsync('acme/fleet/8/#', { qos: 1 })).rejects.toThrow();
    await endAll(device);
  });

  it('sends a change to connected subscribers as a live message, and nothing to a device outside the fleet', async () => {
    const inFleet = await fleetDevice('fleet-b', '9');
    const outside = await fleetDevice('fleet-c', null);
    const got = inbox(inFleet);
    const leaked = inbox(outside);
    await inFleet.subscribeAsync('acme/fleet/9/#', { qos: 1 });
    await outside.subscribeAsync('acme/agent/fleet-c/Command/#', { qos: 1 });
    await put('acme/fleet/9/connectivity', '{"connectivity":[{"disableWifi":"true","taskId":"9"}]}');
    // A change racing the subscription's retained scan may also arrive once flagged retained: MQTT allows both.
    await waitFor('live update', () => got.some((m) => !m.retain));
    expect(got.find((m) => !m.retain)).toMatchObject({ topic: 'acme/fleet/9/connectivity', payload: '{"connectivity":[{"disableWifi":"true","taskId":"9"}]}', qos: 1 });
    expect(got.every((m) => m.topic === 'acme/fleet/9/connectivity')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(leaked).toEqual([]);
    await endAll(inFleet, outside);
  });

  it("delivers a device's own retained command state (e.g. a lock) when it subscribes", async () => {
    await put('acme/agent/lockme/Command/Lock', '{"lock":"now"}');
    const device = await fleetDevice('lockme', null);
    const messages = inbox(device);
    await device.subscribeAsync('acme/agent/lockme/Command/#', { qos: 1 });
    await waitFor('lock state', () => messages.length === 1);
    expect(messages[0]).toEqual({ topic: 'acme/agent/lockme/Command/Lock', payload: '{"lock":"now"}', retain: true, qos: 1 });
    await endAll(device);
  });
});
