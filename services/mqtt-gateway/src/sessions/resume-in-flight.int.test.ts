import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceCommandDelivered, DeviceCommandIssued } from '@flotilla/contracts';
import { freePort, testEnvironment, waitFor } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestGateway } from '../gateway.fixture.js';
import { rawClient } from '../mqtt/raw-client.fixture.js';

// A gateway dies in the middle of a command's flow; the device resumes its session on another replica,
// which continues the flow under the same packet id [MQTT-4.4.0-1] instead of sending the command again.

const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../main.ts');
let survivor: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  survivor = await startTestGateway({ GATEWAY_ID: 'gw-survivor' });
});
afterAll(() => survivor.stop());

async function doomedGateway() {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, NATS_URL: testEnvironment().natsUrl, FLOTILLA_NAMESPACE: survivor.namespace, GATEWAY_ID: 'gw-doomed', GATEWAY_DEV_CREDENTIALS: `acme:${PASSWORD}`, MQTT_HOST: '127.0.0.1', MQTT_PORT: String(port), HTTP_HOST: '127.0.0.1', HTTP_PORT: String(await freePort()), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { port, kill: async () => (child.kill('SIGKILL'), await exited) };
}

async function device(port: number, serial: string) {
  const client = await waitFor('gateway up', () => rawClient(port, 4).catch(() => undefined), 20_000, 200);
  client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: serial, clean: false, keepalive: 30, username: serial, password: Buffer.from(PASSWORD) });
  return { client, connack: await client.next('connack') };
}

const issue = (serial: string, commandId: string, type: 'wipe' | 'lock') =>
  survivor.bus.publish(DeviceCommandIssued, { tenant: 'acme', subjectId: serial, data: { commandId, deviceId: serial, command: { type }, expiresAt: null, taskId: null } });
const delivered = (serial: string) =>
  survivor.bus.connection.jsm.streams.getMessage(survivor.bus.names.stream('devices'), { last_by_subj: survivor.bus.names.subject(DeviceCommandDelivered.subject('acme', serial)) }).then((m) => (m ? DeviceCommandDelivered.parse(m.json()).data.commandId : undefined), () => undefined);

describe('a command flow resumed after the gateway died', () => {
  it('QoS 2 after PUBREC: the next replica sends PUBREL for the same packet id, never the wipe again', async () => {
    const doomed = await doomedGateway();
    const first = await device(doomed.port, 'resume-2');
    first.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'acme/agent/resume-2/Command/#', qos: 2 }] });
    await first.client.next('suback');
    await issue('resume-2', 'wipe-r2', 'wipe');
    const publish = await first.client.next('publish');
    expect(publish).toMatchObject({ topic: 'acme/agent/resume-2/Command/Wipe', qos: 2 });
    first.client.send({ cmd: 'pubrec', messageId: publish.messageId! });
    expect(await first.client.next('pubrel')).toMatchObject({ messageId: publish.messageId });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the release reaches the session store
    await doomed.kill(); // before the device's PUBCOMP
    first.client.destroy();

    const second = await device(survivor.port, 'resume-2');
    expect(second.connack).toMatchObject({ sessionPresent: true });
    expect(await second.client.next('pubrel')).toMatchObject({ messageId: publish.messageId });
    second.client.send({ cmd: 'pubcomp', messageId: publish.messageId! });
    await waitFor('delivered', async () => (await delivered('resume-2')) === 'wipe-r2');
    await expect(second.client.next('publish', 500)).rejects.toThrow(/no publish/);
    second.client.destroy();
  }, 60_000);

  it('QoS 1 without PUBACK: the next replica sends the same PUBLISH again, with DUP set', async () => {
    const doomed = await doomedGateway();
    const first = await device(doomed.port, 'resume-1');
    first.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'acme/agent/resume-1/Command/#', qos: 1 }] });
    await first.client.next('suback');
    await issue('resume-1', 'lock-r1', 'lock');
    const publish = await first.client.next('publish');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await doomed.kill();
    first.client.destroy();

    const second = await device(survivor.port, 'resume-1');
    expect(await second.client.next('publish')).toMatchObject({ topic: 'acme/agent/resume-1/Command/Lock', qos: 1, dup: true, messageId: publish.messageId });
    second.client.send({ cmd: 'puback', messageId: publish.messageId! });
    await waitFor('delivered', async () => (await delivered('resume-1')) === 'lock-r1');
    second.client.destroy();
  }, 60_000);
});
