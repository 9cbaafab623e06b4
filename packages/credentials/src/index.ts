export { credentialKey } from './credential-key.js';
export { DEFAULT_SCRYPT, dummyVerify, generateSecret, hashChosenSecret, hashGeneratedSecret, sha256Hex, verifySecret } from './secret-hash.js';
