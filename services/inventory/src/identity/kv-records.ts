import { reactor } from '@flotilla/bus';
import {
  ApiKeyIssued,
  ApiKeyRevoked,
  DeviceCredential,
  DeviceCredentialIssued,
  DeviceCredentialRevoked,
  OperatorKeyRecord,
  type EventOf,
} from '@flotilla/contracts';
import { credentialKey } from '@flotilla/credentials';
import type { KV } from '@nats-io/kv';

/** The buckets the IDENTITY events are projected into for the gateway and the HTTP servers. */
export interface IdentityBuckets {
  deviceCredentials: KV;
  operatorKeys: KV;
}

type Versioned = { sequence?: number | undefined };

/**
 * Writes `next(current)` under `key` unless the stored record comes from the same or a later event:
 * compare-and-set on the KV revision, so replicas and redeliveries never move a record backwards.
 */
async function putIfNewer<T extends Versioned>(kv: KV, key: string, sequence: number, parse: (value: unknown) => T | undefined, next: (current: T | undefined) => T): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get(key);
    const current = entry && entry.operation === 'PUT' ? parse(entry.json()) : undefined;
    if (current?.sequence !== undefined && current.sequence >= sequence) return;
    const value = JSON.stringify(next(current));
    try {
      if (entry) await kv.update(key, value, entry.revision);
      else await kv.create(key, value);
      return;
    } catch (error) {
      if (!/wrong last sequence|key exists/i.test(String(error))) throw error;
    }
  }
  throw new Error(`${key}: too many concurrent writers`);
}

const parseCredential = (value: unknown) => DeviceCredential.safeParse(value).data;
const parseOperatorKey = (value: unknown) => OperatorKeyRecord.safeParse(value).data;

type IdentityRecordEvent = EventOf<typeof DeviceCredentialIssued> | EventOf<typeof DeviceCredentialRevoked> | EventOf<typeof ApiKeyIssued> | EventOf<typeof ApiKeyRevoked>;

/** Applies one IDENTITY event to the KV record it decides (idempotent; an older event never wins). */
export async function applyIdentityRecord(buckets: IdentityBuckets, event: IdentityRecordEvent, sequence: number): Promise<void> {
  switch (event.type) {
    case 'DeviceCredentialIssued': {
      const d = event.data;
      const record: DeviceCredential = { version: 1, tenant: event.tenant, deviceId: d.deviceId, dialect: d.dialect, kind: d.kind, clientId: null, username: null, secret: d.secret, fleet: d.fleet, revoked: false, issuedAt: event.occurredAt, sequence };
      return putIfNewer(buckets.deviceCredentials, credentialKey.username(d.username), sequence, parseCredential, () => record);
    }
    case 'DeviceCredentialRevoked': {
      const d = event.data;
      return putIfNewer(buckets.deviceCredentials, credentialKey.username(d.username), sequence, parseCredential, (current): DeviceCredential =>
        current && current.tenant === event.tenant && current.deviceId === d.deviceId
          ? { ...current, revoked: true, sequence }
          : { version: 1, tenant: event.tenant, deviceId: d.deviceId, dialect: 'flyve', kind: 'username-password', clientId: null, username: null, secret: null, fleet: null, revoked: true, issuedAt: event.occurredAt, sequence },
      );
    }
    case 'ApiKeyIssued': {
      const d = event.data;
      const record: OperatorKeyRecord = { version: 1, keyId: d.keyId, tenant: event.tenant, role: d.role, name: d.name, digest: d.digest, revoked: false, sequence };
      return putIfNewer(buckets.operatorKeys, d.keyId, sequence, parseOperatorKey, () => record);
    }
    case 'ApiKeyRevoked':
      return putIfNewer(buckets.operatorKeys, event.data.keyId, sequence, parseOperatorKey, (current): OperatorKeyRecord =>
        current ? { ...current, revoked: true, sequence } : { version: 1, keyId: event.data.keyId, tenant: event.tenant, role: 'viewer', name: 'revoked', digest: '0'.repeat(64), revoked: true, sequence },
      );
  }
}

/**
 * Keeps the `device-credentials` and `operator-keys` buckets in step with the IDENTITY stream. The
 * request that appends an event also writes its record at once; this catches up after a crash between
 * the two, and rebuilds the buckets from the stream.
 */
export function identityRecordsReactor(buckets: IdentityBuckets) {
  return reactor({
    name: 'inventory-identity-records',
    events: [DeviceCredentialIssued, DeviceCredentialRevoked, ApiKeyIssued, ApiKeyRevoked],
    handle: (event, { seq }) => applyIdentityRecord(buckets, event, seq),
  });
}
