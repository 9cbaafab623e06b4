import { parseConfig } from '@flotilla/service-kit';
import { platformConfig, startPlatform, type Platform } from '@flotilla/cli';
import { deleteNamespace, testEnvironment, uniqueName } from '@flotilla/testing';
import pg from 'pg';
import pino from 'pino';

/** Operator keys and device password of the e2e tenants. */
export const KEYS = { acme: 'acme-operator-key-0123456789', globex: 'globex-operator-key-0123456789' };
export const DEVICE_PASSWORD = 'acme-device-password';

/** The environment `flotilla start` would get, isolated to its own namespace and schemas. */
export function platformEnv(namespace: string, prefix: string): Record<string, string> {
  const { natsUrl, databaseUrl } = testEnvironment();
  return {
    NATS_URL: natsUrl,
    DATABASE_URL: databaseUrl,
    FLOTILLA_NAMESPACE: namespace,
    DB_SCHEMA_PREFIX: prefix,
    FLOTILLA_EMBEDDED: 'never',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    LOG_LEVEL: 'silent',
    FLOTILLA_API_KEYS: `acme:${KEYS.acme},globex:${KEYS.globex}`,
    GATEWAY_DEV_CREDENTIALS: `acme:${DEVICE_PASSWORD}`,
  };
}

/** Starts the whole platform in this process; `destroy` stops it and removes its streams and schemas. */
export async function startTestPlatform(): Promise<{ platform: Platform; env: Record<string, string>; destroy(): Promise<void> }> {
  const namespace = uniqueName('e');
  const prefix = `${uniqueName('e')}_`;
  const env = platformEnv(namespace, prefix);
  const platform = await startPlatform(parseConfig(platformConfig, env), pino({ level: 'silent' }));
  return {
    platform,
    env,
    async destroy() {
      await platform.stop();
      await deleteNamespace(env.NATS_URL!, namespace);
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      for (const schema of ['geo', 'inventory', 'policy', 'tasks']) await client.query(`DROP SCHEMA IF EXISTS "${prefix}${schema}" CASCADE`);
      await client.end();
    },
  };
}

/** GET with an operator key. */
export async function api(platform: Platform, path: string, key?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${platform.httpUrl}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: response.status, body: await response.json() };
}
