import { randomBytes } from 'node:crypto';
import { ApiKeyIssued, ApiKeyRevoked, formatApiKey, type OperatorRole } from '@flotilla/contracts';
import { generateSecret, sha256Hex } from '@flotilla/credentials';
import type { Bus } from '@flotilla/bus';
import { applyIdentityRecord, type IdentityBuckets } from './kv-records.js';

/** What issuing or revoking an operator key writes to: the IDENTITY stream and the key buckets. */
export interface IdentityWriter {
  bus: Bus;
  buckets: IdentityBuckets;
}

/** A new key, shown once. */
export interface IssuedApiKey {
  keyId: string;
  key: string;
  role: OperatorRole;
  name: string;
}

/** Issues an operator key for `tenant`: the event keeps its SHA-256, the key is returned once and usable at once. */
export async function issueApiKey(ctx: IdentityWriter, tenant: string, name: string, role: OperatorRole): Promise<IssuedApiKey> {
  const keyId = randomBytes(8).toString('hex');
  const key = formatApiKey(keyId, generateSecret(32));
  const published = await ctx.bus.publish(ApiKeyIssued, { tenant, subjectId: keyId, data: { keyId, name, role, digest: sha256Hex(key) } }, { expectedLastSubjectSequence: 0 });
  await applyIdentityRecord(ctx.buckets, published.event, published.seq);
  return { keyId, key, role, name };
}

/** Revokes a key of `tenant`; false when the tenant has no such key. Effective at once on every service. */
export async function revokeApiKey(ctx: IdentityWriter, tenant: string, keyId: string): Promise<boolean> {
  const issued = await ctx.bus.last(ApiKeyIssued, tenant, keyId);
  if (!issued) return false;
  const published = await ctx.bus.publish(ApiKeyRevoked, { tenant, subjectId: keyId, data: { keyId }, id: `api-key-revoked:${keyId}` });
  await applyIdentityRecord(ctx.buckets, published.event, published.seq);
  return true;
}
