import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectMqtt, deleteNamespace, endAll, freePort, testEnvironment, uniqueName, waitFor } from '@flotilla/testing';
import { afterAll, describe, expect, it } from 'vitest';

// GATEWAY_WORKERS: several gateway processes share the MQTT port; the first serves HTTP for all.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const namespace = uniqueName('w');
const children: ChildProcess[] = [];
afterAll(async () => {
  // A failed test must not leave the gateway (and its workers) running.
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await deleteNamespace(testEnvironment().natsUrl, namespace);
});

const PASSWORD = 'workers-password';

describe('a multi-process gateway', () => {
  it('spreads connections over its workers, sums their metrics, replaces a killed worker and drains on SIGTERM', async () => {
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/mqtt-gateway/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        NATS_URL: testEnvironment().natsUrl,
        FLOTILLA_NAMESPACE: namespace,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(mqttPort),
        GATEWAY_ID: 'gw-multi',
        GATEWAY_WORKERS: '2',
        GATEWAY_DEV_CREDENTIALS: `acme:${PASSWORD}`,
        MQTT_RECONNECT_RATE: '',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const readyz = async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined))?.status;
    await waitFor('workers ready', async () => (await readyz()) === 200, 30_000, 100).catch((error: Error) => {
      throw new Error(`${error.message}\n${stderr}`);
    });
    const metrics = async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();

    // Connections are handed to the workers in turn: both hold some, and /metrics sums them.
    const devices = await Promise.all(Array.from({ length: 8 }, (_, i) => connectMqtt(mqttPort, { username: `multi-${i}`, password: PASSWORD, clientId: `multi-${i}`, protocolVersion: 5 })));
    await waitFor('8 connections summed', async () => /flotilla_gateway_connections\{dialect="flyve"\} 8\b/.test(await metrics()));

    // Kill one worker: its devices are disconnected, the primary starts another, readiness returns.
    const workerPids = () => execFileSync('pgrep', ['-P', String(child.pid)]).toString().trim().split('\n').map(Number);
    const [killed] = workerPids();
    expect(workerPids()).toHaveLength(2);
    process.kill(killed!, 'SIGKILL');
    await waitFor("the killed worker's devices gone", () => devices.some((device) => !device.connected));
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Only that worker's share went: the other worker kept its connections.
    const kept = devices.filter((device) => device.connected).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(8);
    await waitFor('a replacement worker', async () => {
      const now = workerPids();
      return now.length === 2 && !now.includes(killed!) && (await readyz()) === 200;
    }, 30_000, 200);
    const again = await connectMqtt(mqttPort, { username: 'multi-again', password: PASSWORD, clientId: 'multi-again', protocolVersion: 5 });
    await again.publishAsync('acme/agent/multi-again/Status/Geolocation', JSON.stringify({ latitude: 1, longitude: 2, datetime: 1_700_000_000 }), { qos: 1 });

    // SIGTERM: every worker drains (MQTT 5 clients get 0x8B), then the whole gateway exits 0.
    const reason = new Promise<number | undefined>((resolve) => again.once('disconnect', (packet) => resolve(packet.reasonCode)));
    child.kill('SIGTERM');
    expect(await reason).toBe(0x8b);
    expect(await exited).toBe(0);
    await endAll(again, ...devices);
  });
});
