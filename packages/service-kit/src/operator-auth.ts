import { createHash, timingSafeEqual } from 'node:crypto';
import type { Bus } from '@flotilla/bus';
import { apiKeyId, OPERATOR_KEYS_BUCKET, OperatorKeyRecord, type OperatorRole } from '@flotilla/contracts';
import type { KV } from '@nats-io/kv';
import { tenantForKey, type ApiKeyRecord } from './api-keys.js';

/** Who an authenticated operator request acts as. */
export interface OperatorPrincipal {
  tenant: string;
  role: OperatorRole;
  /** The issued key's id; null for a key from `FLOTILLA_API_KEYS`. */
  keyId: string | null;
}

/** Where issued operator keys are looked up (the `operator-keys` KV bucket). */
export interface OperatorKeyLookup {
  find(keyId: string): Promise<OperatorKeyRecord | undefined>;
}

/** An {@link OperatorKeyLookup} over the `operator-keys` bucket: one KV read per request, so a revocation applies at once. */
export function kvOperatorKeys(kv: KV): OperatorKeyLookup {
  return {
    async find(keyId) {
      const entry = await kv.get(keyId);
      if (!entry || entry.operation !== 'PUT') return undefined;
      const parsed = OperatorKeyRecord.safeParse(entry.json());
      return parsed.success ? parsed.data : undefined;
    },
  };
}

/** Opens (creating it if needed) the `operator-keys` bucket of the bus's namespace as a lookup. */
export async function openOperatorKeys(bus: Bus): Promise<OperatorKeyLookup> {
  const buckets = await bus.ensureBuckets([{ name: OPERATOR_KEYS_BUCKET }]);
  return kvOperatorKeys(buckets.get(OPERATOR_KEYS_BUCKET)!);
}

const RANK: Record<OperatorRole, number> = { viewer: 0, operator: 1, admin: 2 };

/** True when `role` includes everything `required` may do. */
export function roleAllows(role: OperatorRole, required: OperatorRole): boolean {
  return RANK[role] >= RANK[required];
}

const DUMMY_DIGEST = Buffer.alloc(32);

/**
 * Authenticates a bearer key: first against the static `FLOTILLA_API_KEYS` (admin of their tenant),
 * then as an issued `flt_<keyId>_<secret>` key. An unknown key id and a wrong secret cost the same
 * comparison and give the same answer (undefined).
 */
export async function authenticateOperator(presented: string, staticKeys: readonly ApiKeyRecord[], issued: OperatorKeyLookup | undefined): Promise<OperatorPrincipal | undefined> {
  const staticTenant = tenantForKey(staticKeys, presented);
  if (staticTenant) return { tenant: staticTenant, role: 'admin', keyId: null };
  const keyId = apiKeyId(presented);
  if (!keyId || !issued) return undefined;
  const record = await issued.find(keyId);
  const digest = createHash('sha256').update(presented, 'utf8').digest();
  const expected = record ? Buffer.from(record.digest, 'hex') : DUMMY_DIGEST;
  const matches = timingSafeEqual(digest, expected);
  if (!record || !matches || record.revoked) return undefined;
  return { tenant: record.tenant, role: record.role, keyId };
}
