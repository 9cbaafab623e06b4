import { z } from 'zod';
import { Dialect } from '../devices/dialect.js';
import { SubjectToken } from '../subject-token.js';

/** The KV bucket inventory writes device credentials to and the gateway reads them from. */
export const DEVICE_CREDENTIALS_BUCKET = 'device-credentials';

/**
 * A stored secret: `sha256` for generated high-entropy secrets (passwords issued at enrollment, access
 * tokens), `scrypt` for secrets a person chose. Never the secret itself.
 */
export const CredentialSecret = z.discriminatedUnion('scheme', [
  z.object({ scheme: z.literal('sha256'), digest: z.string().regex(/^[0-9a-f]{64}$/) }),
  z.object({
    scheme: z.literal('scrypt'),
    salt: z.base64(),
    digest: z.base64(),
    /** log2 of scrypt's N. */
    cost: z.number().int().min(10).max(20),
    blockSize: z.number().int().min(1).max(32),
    parallelization: z.number().int().min(1).max(16),
  }),
]);
/** One of {@link CredentialSecret}. */
export type CredentialSecret = z.infer<typeof CredentialSecret>;

/**
 * How a device proves who it is at CONNECT:
 * - `username-password`: Flyve (username = serial) or any username with a password;
 * - `access-token`: ThingsBoard token as username, no password;
 * - `client-id`: ThingsBoard basic credentials (client id, plus username and password when set) or
 *   Watson (`d:<org>:<type>:<id>`, username `use-token-auth`, password = token);
 * - `x509`: TLS client certificate, by SHA-256 fingerprint.
 */
export const CredentialKind = z.enum(['username-password', 'access-token', 'client-id', 'x509']);
/** One of {@link CredentialKind}. */
export type CredentialKind = z.infer<typeof CredentialKind>;

/**
 * Record of the `device-credentials` KV bucket, written by inventory and read by the gateway. The key
 * is derived from what CONNECT carries (see `@flotilla/credentials` `credentialKey`).
 */
export const DeviceCredential = z.object({
  version: z.literal(1),
  tenant: SubjectToken,
  deviceId: SubjectToken,
  dialect: Dialect,
  kind: CredentialKind,
  /** Client id the CONNECT must carry (basic credentials, Watson), else any. */
  clientId: z.string().min(1).nullable(),
  /** Username the CONNECT must carry when the key is not the username itself. */
  username: z.string().min(1).nullable(),
  secret: CredentialSecret.nullable(),
  /** The fleet whose topics the device may subscribe to. */
  fleet: SubjectToken.nullable(),
  revoked: z.boolean(),
  issuedAt: z.coerce.date(),
  /** Sequence of the IDENTITY event this record was projected from; a record is never replaced by an older one. */
  sequence: z.number().int().positive().optional(),
});
/** One of {@link DeviceCredential}. */
export type DeviceCredential = z.infer<typeof DeviceCredential>;
