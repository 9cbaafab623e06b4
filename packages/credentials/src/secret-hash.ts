import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { CredentialSecret } from '@flotilla/contracts';

function scrypt(secret: Buffer, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(secret, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}

/** scrypt settings for secrets a person chose (OWASP: N = 2^17, r = 8, p = 1). */
export const DEFAULT_SCRYPT = { cost: 17, blockSize: 8, parallelization: 1 } as const;

const scryptOptions = (s: { cost: number; blockSize: number; parallelization: number }): ScryptOptions => ({
  N: 2 ** s.cost,
  r: s.blockSize,
  p: s.parallelization,
  maxmem: 256 * 2 ** s.cost * s.blockSize,
});

/** A random secret of `bytes` random bytes, base64url (24 bytes → 32 characters). */
export function generateSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 hex of a value; also the lookup key of access tokens. */
export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Hashes a generated, high-entropy secret (fast; its entropy is the protection). */
export function hashGeneratedSecret(secret: string): CredentialSecret {
  return { scheme: 'sha256', digest: sha256Hex(secret) };
}

/** Hashes a secret a person chose, with scrypt and a random salt. */
export async function hashChosenSecret(secret: string, settings: { cost: number; blockSize: number; parallelization: number } = DEFAULT_SCRYPT): Promise<CredentialSecret> {
  const salt = randomBytes(16);
  const digest = await scrypt(Buffer.from(secret, 'utf8'), salt, 32, scryptOptions(settings));
  return { scheme: 'scrypt', salt: salt.toString('base64'), digest: digest.toString('base64'), ...settings };
}

/** True when `presented` matches `stored`; digests are compared in constant time. */
export async function verifySecret(presented: Buffer, stored: CredentialSecret): Promise<boolean> {
  if (stored.scheme === 'sha256') {
    return timingSafeEqual(createHash('sha256').update(presented).digest(), Buffer.from(stored.digest, 'hex'));
  }
  const expected = Buffer.from(stored.digest, 'base64');
  const actual = await scrypt(presented, Buffer.from(stored.salt, 'base64'), expected.length, scryptOptions(stored));
  return timingSafeEqual(actual, expected);
}

const DUMMY_SHA256: CredentialSecret = { scheme: 'sha256', digest: sha256Hex('flotilla-dummy') };
let dummyScrypt: Promise<CredentialSecret> | undefined;

/**
 * Does the work a verification against `scheme` would do, for an identity that does not exist, so that
 * an unknown user costs the same time as a wrong password. Always false.
 */
export async function dummyVerify(presented: Buffer, scheme: CredentialSecret['scheme']): Promise<false> {
  if (scheme === 'scrypt') {
    dummyScrypt ??= hashChosenSecret(generateSecret());
    await verifySecret(presented, await dummyScrypt);
  } else {
    await verifySecret(presented, DUMMY_SHA256);
  }
  return false;
}
