import { describe, expect, it } from 'vitest';
import { credentialKey } from './credential-key.js';
import { dummyVerify, generateSecret, hashChosenSecret, hashGeneratedSecret, verifySecret } from './secret-hash.js';

const fastScrypt = { cost: 10, blockSize: 8, parallelization: 1 };

describe('secrets', () => {
  it('generates 32-character base64url secrets that differ', () => {
    const a = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(generateSecret()).not.toBe(a);
  });

  it('verifies a generated secret against its SHA-256 and refuses any other', async () => {
    const secret = generateSecret();
    const stored = hashGeneratedSecret(secret);
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(await verifySecret(Buffer.from(secret), stored)).toBe(true);
    expect(await verifySecret(Buffer.from(`${secret}x`), stored)).toBe(false);
    expect(await verifySecret(Buffer.alloc(0), stored)).toBe(false);
  });

  it('verifies a chosen secret against its salted scrypt digest', async () => {
    const stored = await hashChosenSecret('hunter2', fastScrypt);
    const again = await hashChosenSecret('hunter2', fastScrypt);
    expect(stored.scheme === 'scrypt' && again.scheme === 'scrypt' && stored.salt !== again.salt).toBe(true);
    expect(await verifySecret(Buffer.from('hunter2'), stored)).toBe(true);
    expect(await verifySecret(Buffer.from('hunter3'), stored)).toBe(false);
  });

  it('uses OWASP scrypt settings by default', async () => {
    expect(await hashChosenSecret('x')).toMatchObject({ scheme: 'scrypt', cost: 17, blockSize: 8, parallelization: 1 });
  });

  it('spends comparable work on an unknown identity and always refuses', async () => {
    expect(await dummyVerify(Buffer.from('anything'), 'sha256')).toBe(false);
    expect(await dummyVerify(Buffer.from('anything'), 'scrypt')).toBe(false);
  });
});

describe('credential keys', () => {
  it('derives KV-safe keys and never stores a token in clear', () => {
    const safe = /^[-/_=.A-Za-z0-9]+$/;
    const keys = [credentialKey.username('355889 ü/#+'), credentialKey.accessToken('A1_TEST_TOKEN'), credentialKey.clientId('d:org:type:id'), credentialKey.x509('AB:CD:EF')];
    for (const key of keys) expect(key).toMatch(safe);
    expect(credentialKey.accessToken('A1_TEST_TOKEN')).not.toContain('A1_TEST_TOKEN');
    expect(credentialKey.x509('AB:CD:EF')).toBe('x509.abcdef');
    expect(credentialKey.username('a')).not.toBe(credentialKey.clientId('a'));
  });
});
