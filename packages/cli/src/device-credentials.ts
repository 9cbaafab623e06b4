import { connectBus, type Bus } from '@flotilla/bus';
import type { KV } from '@nats-io/kv';
import { ApplicationCredential, DeviceCredential, SubjectToken, type TopicRules } from '@flotilla/contracts';
import { credentialKey, generateSecret, hashGeneratedSecret } from '@flotilla/credentials';
import { APPLICATION_CREDENTIALS_BUCKET, DEVICE_CREDENTIALS_BUCKET } from '@flotilla/mqtt-gateway';

/** Where the credential bucket lives. */
export interface CredentialTarget {
  natsUrl: string;
  namespace: string;
}

/**
 * Issues a Flyve device credential (username = serial, a generated 32-character password stored as its
 * SHA-256) straight into the `device-credentials` bucket, for operators until enrollment issues them.
 * Returns the password, which is shown once and kept nowhere.
 */
export async function addFlyveDevice(target: CredentialTarget, tenant: string, serial: string, fleet: string | null = null): Promise<string> {
  SubjectToken.parse(tenant);
  SubjectToken.parse(serial);
  if (/[/+#]/.test(serial)) throw new Error('a serial cannot contain /, + or #');
  const password = generateSecret();
  const record: DeviceCredential = { version: 1, tenant, deviceId: serial, dialect: 'flyve', kind: 'username-password', clientId: null, username: null, secret: hashGeneratedSecret(password), fleet, revoked: false, issuedAt: new Date() };
  await withBucket(target, async (kv) => {
    await kv.put(credentialKey.username(serial), JSON.stringify(DeviceCredential.parse(record)));
  });
  return password;
}

/** Marks a Flyve device's credential revoked; connected gateways disconnect it at once. */
export async function revokeFlyveDevice(target: CredentialTarget, serial: string): Promise<boolean> {
  return withBucket(target, async (kv) => {
    const key = credentialKey.username(serial);
    const entry = await kv.get(key);
    if (!entry || entry.operation !== 'PUT') return false;
    const record = DeviceCredential.parse(entry.json());
    await kv.put(key, JSON.stringify({ ...record, revoked: true }));
    return true;
  });
}

/**
 * Issues an application credential (username = application id, a generated password stored as its
 * SHA-256) with its topic rules into the `application-credentials` bucket; returns the password, once.
 */
export async function addApplication(target: CredentialTarget, tenant: string, applicationId: string, publish: TopicRules, subscribe: TopicRules, clientId: string | null = null): Promise<string> {
  const password = generateSecret();
  const record = ApplicationCredential.parse({ version: 1, tenant, applicationId, clientId, secret: hashGeneratedSecret(password), publish, subscribe, revoked: false, issuedAt: new Date() });
  await withBucket(target, async (kv) => {
    await kv.put(credentialKey.application(applicationId), JSON.stringify(record));
  }, APPLICATION_CREDENTIALS_BUCKET);
  return password;
}

/** Marks an application's credential revoked; its connections are closed at once. */
export async function revokeApplication(target: CredentialTarget, applicationId: string): Promise<boolean> {
  return withBucket(
    target,
    async (kv) => {
      const key = credentialKey.application(applicationId);
      const entry = await kv.get(key);
      if (!entry || entry.operation !== 'PUT') return false;
      await kv.put(key, JSON.stringify({ ...ApplicationCredential.parse(entry.json()), revoked: true }));
      return true;
    },
    APPLICATION_CREDENTIALS_BUCKET,
  );
}

/** Runs `fn` with a bus connected to the target's NATS and namespace, drained afterwards. */
export async function withBus<T>(target: CredentialTarget, fn: (bus: Bus) => Promise<T>): Promise<T> {
  const bus = await connectBus({ servers: target.natsUrl.split(','), name: 'flotilla-cli', namespace: target.namespace, connectTimeoutMs: 3_000 });
  try {
    return await fn(bus);
  } finally {
    await bus.drain();
  }
}

function withBucket<T>(target: CredentialTarget, fn: (kv: KV) => Promise<T>, bucket = DEVICE_CREDENTIALS_BUCKET): Promise<T> {
  return withBus(target, async (bus) => fn((await bus.ensureBuckets([{ name: bucket }])).get(bucket)!));
}
