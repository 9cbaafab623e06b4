import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropSchema } from '@flotilla/db';
import { deleteNamespace, freePort, testEnvironment, uniqueName, waitFor } from '@flotilla/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const namespace = uniqueName('s');
const prefix = `${uniqueName('s')}_`;

function run(service: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${service}/src/main.ts`], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

afterAll(async () => {
  await deleteNamespace(testEnvironment().natsUrl, namespace);
  for (const schema of ['geo', 'inventory', 'policy', 'tasks']) await dropSchema(testEnvironment().databaseUrl, `${prefix}${schema}`);
});

describe('each service starts alone', () => {
  it.each([
    ['mqtt-gateway', {}],
    ['geolocation', { GEO_DB_SCHEMA: `${prefix}geo` }],
    ['inventory', { INVENTORY_DB_SCHEMA: `${prefix}inventory` }],
    ['policy-service', { POLICY_DB_SCHEMA: `${prefix}policy` }],
    ['task-tracker', { TASKS_DB_SCHEMA: `${prefix}tasks` }],
  ])('%s becomes ready and drains on SIGTERM', async (service, extra) => {
    const port = await freePort();
    const { child, exited, stderr } = run(service, {
      NATS_URL: testEnvironment().natsUrl,
      DATABASE_URL: testEnvironment().databaseUrl,
      FLOTILLA_NAMESPACE: namespace,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(await freePort()),
      GATEWAY_DEV_CREDENTIALS: 'acme:standalone-password',
      LOG_LEVEL: 'warn',
      ...extra,
    });
    const ready = await waitFor(`${service} /readyz`, async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      return response.status === 200 ? response.json() : undefined;
    }, 20_000, 100).catch((error: Error) => {
      throw new Error(`${error.message}\n${stderr()}`);
    });
    expect(ready).toEqual({ status: 'ready', failing: [] });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a bad configuration with a message naming the variable', async () => {
    const { exited, stderr } = run('geolocation', { HTTP_PORT: 'eighty', NATS_URL: 'http://wrong' });
    expect(await exited).toBe(1);
    expect(stderr()).toMatch(/HTTP_PORT: expected a port number, got "eighty"/);
    expect(stderr()).toMatch(/NATS_URL: expected nats:\/\/host:port.*got "http:\/\/wrong"/);
  });

  it('says which NATS it cannot reach', async () => {
    const { exited, stderr } = run('geolocation', { NATS_URL: `nats://127.0.0.1:${await freePort()}`, NATS_CONNECT_TIMEOUT_MS: '300', HTTP_PORT: String(await freePort()) });
    expect(await exited).toBe(1);
    expect(stderr()).toMatch(/geolocation could not start: cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+/);
  });
});
