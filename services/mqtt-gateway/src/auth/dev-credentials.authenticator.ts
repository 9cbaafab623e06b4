import { createHash, timingSafeEqual } from 'node:crypto';
import { isSafeSubjectToken } from '@flotilla/contracts';
import type { Authenticator, ConnectCredentials, Identity } from './authenticator.js';

/**
 * TEMPORARY development authentication, replaced by per-device credentials from the
 * `device-credentials` KV bucket: every Flyve device of one tenant shares one password, and the MQTT
 * username is the device serial. The password is kept and compared only as a SHA-256 digest, in
 * constant time.
 */
export function devCredentialsAuthenticator(tenant: string, password: string): Authenticator {
  const expected = createHash('sha256').update(password).digest();
  return {
    async authenticate(credentials: ConnectCredentials): Promise<Identity | undefined> {
      const presented = createHash('sha256').update(credentials.password ?? Buffer.alloc(0)).digest();
      const passwordOk = timingSafeEqual(expected, presented);
      const serial = credentials.username ?? '';
      // A serial becomes a topic level and a subject token: refuse anything that could widen either.
      if (!passwordOk || !isSafeSubjectToken(serial) || /[/+#]/.test(serial)) return undefined;
      return { tenant, deviceId: serial, dialect: 'flyve', credentialKey: null, fleet: null };
    },
  };
}
