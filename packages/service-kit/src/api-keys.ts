import { createHash, timingSafeEqual } from 'node:crypto';

/** An operator API key as kept in memory: the tenant it is scoped to and the SHA-256 of the key. */
export interface ApiKeyRecord {
  tenant: string;
  digest: Buffer;
}

/** SHA-256 digest of a key; only digests are kept, and they are compared in constant time. */
export function digestKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * Parses `tenant:key,tenant:key` (the `FLOTILLA_API_KEYS` form) into digests. Operator accounts with
 * roles replace this list when the inventory service manages them.
 */
export function parseApiKeys(value: string): ApiKeyRecord[] {
  return value
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf(':');
      if (at <= 0 || at === pair.length - 1) throw new Error('API keys must be written tenant:key, separated by commas');
      return { tenant: pair.slice(0, at), digest: digestKey(pair.slice(at + 1)) };
    });
}

/** The tenant of `presented`, or undefined. Every record is compared, so timing does not reveal which matched. */
export function tenantForKey(records: readonly ApiKeyRecord[], presented: string): string | undefined {
  const digest = digestKey(presented);
  let tenant: string | undefined;
  for (const record of records) if (timingSafeEqual(record.digest, digest)) tenant ??= record.tenant;
  return tenant;
}
