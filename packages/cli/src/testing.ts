import { deleteNamespace, uniqueName } from '@flotilla/bus/testing';
import { dropSchema } from '@flotilla/db';
import { parseConfig } from '@flotilla/service-kit';
import { platformConfig } from './platform-config.js';
import { startPlatform, type Platform } from './platform.js';
import pino from 'pino';

/** Operator keys and device password of the e2e tenants. */
export const KEYS = { acme: 'acme-operator-key-0123456789', globex: 'globex-operator-key-0123456789' };
export const DEVICE_PASSWORD = 'acme-device-password';

/** The environment `flotilla start` would get, isolated to its own namespace and schemas. */
export function platformEnv(natsUrl: string, databaseUrl: string, namespace: string, prefix: string): Record<string, string> {
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
export async function startTestPlatform(natsUrl: string, databaseUrl: string): Promise<{ platform: Platform; env: Record<string, string>; destroy(): Promise<void> }> {
  const namespace = uniqueName('e');
  const prefix = `${uniqueName('e')}_`;
  const env = platformEnv(natsUrl, databaseUrl, namespace, prefix);
  const platform = await startPlatform(parseConfig(platformConfig, env), pino({ level: 'silent' }));
  return {
    platform,
    env,
    async destroy() {
      await platform.stop();
      await deleteNamespace(natsUrl, namespace);
      for (const schema of ['geo', 'inventory', 'policy', 'tasks']) await dropSchema(databaseUrl, `${prefix}${schema}`);
    },
  };
}

/** GET with an operator key. */
export async function api(platform: Platform, path: string, key?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${platform.httpUrl}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: response.status, body: await response.json() };
}
