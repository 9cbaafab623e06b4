import { z } from 'zod';
import { SubjectToken } from '../subject-token.js';
import { OperatorRole } from './tenant-events.js';

/** Name of the KV bucket every service's HTTP server reads operator API keys from (inventory writes it). */
export const OPERATOR_KEYS_BUCKET = 'operator-keys';

/** Record of the `operator-keys` bucket, keyed by key id. Holds the SHA-256 of the key, never the key. */
export const OperatorKeyRecord = z.object({
  version: z.literal(1),
  keyId: z.string().min(1),
  tenant: SubjectToken,
  role: OperatorRole,
  name: z.string().min(1),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  revoked: z.boolean(),
  /** Sequence of the IDENTITY event this record was projected from; a record is never replaced by an older one. */
  sequence: z.number().int().positive(),
});
/** One of {@link OperatorKeyRecord}. */
export type OperatorKeyRecord = z.infer<typeof OperatorKeyRecord>;

const KEY_FORM = /^flt_([a-z0-9]{12,32})_([A-Za-z0-9_-]{32,64})$/;

/** An operator API key as presented: `flt_<keyId>_<secret>`. */
export function formatApiKey(keyId: string, secret: string): string {
  return `flt_${keyId}_${secret}`;
}

/** The key id of a presented API key, or undefined when it is not of the `flt_<keyId>_<secret>` form. */
export function apiKeyId(presented: string): string | undefined {
  return KEY_FORM.exec(presented)?.[1];
}
