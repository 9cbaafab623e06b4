import { sha256Hex } from './secret-hash.js';

const b64 = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

/**
 * Keys of the `device-credentials` KV bucket, derived from what a CONNECT carries. KV keys allow only
 * `[-/_=.A-Za-z0-9]`, so free-form values are base64url-encoded; tokens are looked up by their SHA-256
 * so the bucket never holds them.
 */
export const credentialKey = {
  username: (username: string) => `user.${b64(username)}`,
  accessToken: (token: string) => `token.${sha256Hex(token)}`,
  clientId: (clientId: string) => `client.${b64(clientId)}`,
  x509: (sha256Fingerprint: string) => `x509.${sha256Fingerprint.replace(/:/g, '').toLowerCase()}`,
  /** An application's username, in the `application-credentials` bucket. */
  application: (username: string) => `app.${b64(username)}`,
};
