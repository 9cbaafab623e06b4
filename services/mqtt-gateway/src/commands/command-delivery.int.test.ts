import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceCommandDelivered, DeviceCommandExpired, DeviceCommandIssued, DeviceCommandPushed, type DeviceCommand } from '@flotilla/contracts';
import { connectMqtt, endAll, freePort, testEnvironment, waitFor } from '@flotilla/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestGateway } from '../gateway.fixture.js';
import { rawClient } from '../mqtt/raw-client.fixture.js';

let g: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  g = await startTestGateway();
});
afterAll(() => g.stop());

const issue = (deviceId: string, command: DeviceCommand, commandId: string, expiresAt: Date | null = null) =>
  g.bus.publish(DeviceCommandIssued, { tenant: 'acme', subjectId: deviceId, data: { commandId, deviceId, command, expiresAt, taskId: `task-${commandId}` } });
const queued = async () => (await g.bus.connection.jsm.streams.info(g.bus.names.stream('commands'))).state.messages;
async function last<E extends typeof DeviceCommandPushed | typeof DeviceCommandDelivered | typeof DeviceCommandExpired>(event: E, deviceId: string): Promise<ReturnType<E['parse']> | undefined> {
  const stored = await g.bus.connection.jsm.streams.getMessage(g.bus.names.stream('devices'), { last_by_subj: g.bus.names.subject(event.subject('acme', deviceId)) }).catch(() => undefined);
  return stored ? (event.parse(stored.json()) as ReturnType<E['parse']>) : undefined;
}
function received(client: MqttClient) {
  const messages: { topic: string; payload: string; qos: number }[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), qos: packet.qos }));
  return messages;
}

describe('commands to devices', () => {
  it('delivers a wipe queued while the device was offline, once, at QoS 2, and records pushed and delivered', async () => {
    await issue('cmd-1', { type: 'wipe' }, 'c-wipe-1');
    const device = await connectMqtt(g.port, { username: 'cmd-1', password: PASSWORD, clientId: 'cmd-1' });
    const messages = received(device);
    await device.subscribeAsync('acme/agent/cmd-1/Command/#', { qos: 2 });
    await waitFor('the wipe completed', async () => (await last(DeviceCommandDelivered, 'cmd-1'))?.data.commandId === 'c-wipe-1');
    expect(messages).toEqual([{ topic: 'acme/agent/cmd-1/Command/Wipe', payload: '{"wipe":"now"}', qos: 2 }]);
    expect((await last(DeviceCommandPushed, 'cmd-1'))?.data).toMatchObject({ commandId: 'c-wipe-1', taskId: 'task-c-wipe-1', qos: 2, gatewayId: 'gw-test', topic: 'acme/agent/cmd-1/Command/Wipe' });
    await waitFor('queue empty', async () => (await queued()) === 0);
    expect(await g.metrics.getSingleMetricAsString('flotilla_gateway_messages_out_total')).toMatch(/qos="2"\} 1/);
    expect(await g.metrics.getSingleMetricAsString('flotilla_gateway_command_delivery_seconds')).toMatch(/_count 1/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(messages).toHaveLength(1);
    await endAll(device);
  });

  it('does not send again a command its persistent session completed, when the queue hands it over again (a crash lost the ack)', async () => {
    const options = { username: 'cmd-done', password: PASSWORD, clientId: 'cmd-done', clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 600 } };
    let device = await connectMqtt(g.port, options);
    let messages = received(device);
    await device.subscribeAsync('acme/agent/cmd-done/Command/#', { qos: 2 });
    await issue('cmd-done', { type: 'wipe' }, 'c-wipe-done');
    await waitFor('the wipe completed', async () => (await last(DeviceCommandDelivered, 'cmd-done'))?.data.commandId === 'c-wipe-done');
    expect(messages).toHaveLength(1);
    await endAll(device);
    // The same command id again, as a redelivery after a lost ack would bring it: it is not sent.
    await issue('cmd-done', { type: 'wipe' }, 'c-wipe-done');
    await issue('cmd-done', { type: 'ping' }, 'c-ping-after');
    device = await connectMqtt(g.port, options);
    messages = received(device);
    await waitFor('the ping', () => messages.some((m) => m.topic.endsWith('/Command/Ping')));
    await waitFor('queue empty', async () => (await queued()) === 0);
    expect(messages.map((m) => m.topic)).toEqual(['acme/agent/cmd-done/Command/Ping']);
    await endAll(device);
  });

  it('renders each command on its Flyve topic, in order, at the QoS of the subscription at most', async () => {
    const commands: DeviceCommand[] = [{ type: 'subscribe', topics: ['acme/fleet/7/#'] }, { type: 'lock' }, { type: 'unlock' }, { type: 'ping' }, { type: 'wipe' }, { type: 'subscribe', topics: [null] }];
    for (const [i, command] of commands.entries()) await issue('cmd-2', command, `c2-${i}`);
    const device = await connectMqtt(g.port, { username: 'cmd-2', password: PASSWORD, clientId: 'cmd-2' });
    const messages = received(device);
    await device.subscribeAsync('acme/agent/cmd-2/Command/#', { qos: 1 });
    await waitFor('all delivered', () => messages.length === 6, 5_000);
    expect(messages).toEqual([
      { topic: 'acme/agent/cmd-2/Command/Subscribe', payload: '{"subscribe":[{"topic":"acme/fleet/7/#"}]}', qos: 1 },
      { topic: 'acme/agent/cmd-2/Command/Lock', payload: '{"lock":"now"}', qos: 1 },
      { topic: 'acme/agent/cmd-2/Command/Lock', payload: '{"lock":"unlock"}', qos: 1 },
      { topic: 'acme/agent/cmd-2/Command/Ping', payload: '{"query":"Ping"}', qos: 1 },
      { topic: 'acme/agent/cmd-2/Command/Wipe', payload: '{"wipe":"now"}', qos: 1 },
      // Back to no managed fleet (§B.8 fixture 1).
      { topic: 'acme/agent/cmd-2/Command/Subscribe', payload: '{"subscribe":[{"topic":null}]}', qos: 1 },
    ]);
    await endAll(device);
  });

  it('offers a command the device did not acknowledge again on its next connection', async () => {
    await issue('cmd-3', { type: 'geolocate' }, 'c-geo-3');
    const silent = await rawClient(g.port, 4);
    silent.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'cmd-3', clean: true, keepalive: 30, username: 'cmd-3', password: Buffer.from(PASSWORD) });
    await silent.next('connack');
    silent.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'acme/agent/cmd-3/Command/#', qos: 1 }] });
    expect(await silent.next('publish')).toMatchObject({ topic: 'acme/agent/cmd-3/Command/Geolocate', qos: 1 });
    silent.destroy(); // no PUBACK
    await silent.closed;
    expect(await queued()).toBeGreaterThanOrEqual(1);
    const device = await connectMqtt(g.port, { username: 'cmd-3', password: PASSWORD, clientId: 'cmd-3' });
    const messages = received(device);
    await device.subscribeAsync('acme/agent/cmd-3/Command/#', { qos: 1 });
    await waitFor('delivered on the second connection', async () => (await last(DeviceCommandDelivered, 'cmd-3'))?.data.commandId === 'c-geo-3');
    expect(messages.map((m) => m.topic)).toEqual(['acme/agent/cmd-3/Command/Geolocate']);
    await endAll(device);
  });

  it('waits for a subscription, and records an expired command instead of delivering it', async () => {
    await issue('cmd-4', { type: 'ping' }, 'c-old', new Date(Date.now() + 300));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await issue('cmd-4', { type: 'inventory' }, 'c-new');
    const device = await connectMqtt(g.port, { username: 'cmd-4', password: PASSWORD, clientId: 'cmd-4' });
    const messages = received(device);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(messages).toEqual([]); // not subscribed yet
    await device.subscribeAsync('acme/agent/cmd-4/Command/#', { qos: 1 });
    await waitFor('inventory delivered', () => messages.length === 1);
    expect(messages[0]).toMatchObject({ topic: 'acme/agent/cmd-4/Command/Inventory' });
    expect((await last(DeviceCommandExpired, 'cmd-4'))?.data).toMatchObject({ commandId: 'c-old' });
    await endAll(device);
  });
});

describe('commands survive a gateway killed with SIGKILL', () => {
  it('a wipe queued while the device is offline arrives exactly once, at QoS 2, through the restarted gateway', async () => {
    const port = await freePort();
    const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../main.ts');
    const doomed = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, NATS_URL: testEnvironment().natsUrl, FLOTILLA_NAMESPACE: g.namespace, GATEWAY_ID: 'gw-doomed', GATEWAY_DEV_CREDENTIALS: `acme:${PASSWORD}`, MQTT_HOST: '127.0.0.1', MQTT_PORT: String(port), HTTP_HOST: '127.0.0.1', HTTP_PORT: String(await freePort()), LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => doomed.once('exit', resolve));
    try {
      const device = await waitFor('gateway up', () => connectMqtt(port, { username: 'cmd-k', password: PASSWORD, clientId: 'cmd-k' }).catch(() => undefined), 20_000, 200);
      await device.subscribeAsync('acme/agent/cmd-k/Command/#', { qos: 2 });
      await endAll(device); // offline now
      await issue('cmd-k', { type: 'wipe' }, 'c-wipe-k');
      doomed.kill('SIGKILL');
      await exited;
      const again = await connectMqtt(g.port, { username: 'cmd-k', password: PASSWORD, clientId: 'cmd-k' });
      const messages = received(again);
      await again.subscribeAsync('acme/agent/cmd-k/Command/#', { qos: 2 });
      await waitFor('wipe delivered', async () => (await last(DeviceCommandDelivered, 'cmd-k'))?.data.commandId === 'c-wipe-k');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(messages).toEqual([{ topic: 'acme/agent/cmd-k/Command/Wipe', payload: '{"wipe":"now"}', qos: 2 }]);
      await endAll(again);
    } finally {
      doomed.kill('SIGKILL');
    }
  }, 60_000);
});
