import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope.js';

/** A tenant (a Flyve *entity*) exists. Subject `identity.<tenant>.<tenant>.TenantCreated`. */
export const TenantCreated = defineEvent('TenantCreated', { version: 1, context: 'identity' }, z.object({ name: z.string().min(1).max(200) }));
/** Envelope of {@link TenantCreated}. */
export type TenantCreated = EventOf<typeof TenantCreated>;

/** What an operator may do: `viewer` reads, `operator` also changes devices, `admin` also manages keys. */
export const OperatorRole = z.enum(['viewer', 'operator', 'admin']);
/** One of {@link OperatorRole}. */
export type OperatorRole = z.infer<typeof OperatorRole>;

/**
 * An operator API key was issued. The key itself (`flt_<keyId>_<secret>`) is shown once; only the
 * SHA-256 of the whole key is kept. Subject `identity.<tenant>.<keyId>.ApiKeyIssued`.
 */
export const ApiKeyIssued = defineEvent(
  'ApiKeyIssued',
  { version: 1, context: 'identity' },
  z.object({ keyId: z.string().regex(/^[a-z0-9]{12,32}$/), name: z.string().min(1).max(200), role: OperatorRole, digest: z.string().regex(/^[0-9a-f]{64}$/) }),
);
/** Envelope of {@link ApiKeyIssued}. */
export type ApiKeyIssued = EventOf<typeof ApiKeyIssued>;

/** An operator API key stops working. Subject `identity.<tenant>.<keyId>.ApiKeyRevoked`. */
export const ApiKeyRevoked = defineEvent('ApiKeyRevoked', { version: 1, context: 'identity' }, z.object({ keyId: z.string().min(1) }));
/** Envelope of {@link ApiKeyRevoked}. */
export type ApiKeyRevoked = EventOf<typeof ApiKeyRevoked>;
