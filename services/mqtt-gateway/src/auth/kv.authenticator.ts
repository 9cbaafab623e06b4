import { credentialKey, dummyVerify, verifySecret } from '@flotilla/credentials';
import type { ApplicationCredential, DeviceCredential } from '@flotilla/contracts';
import type { Authenticator, ConnectCredentials, Identity } from './authenticator.js';
import type { CredentialStore } from './credential-store.js';

const WATSON_CLIENT_ID = /^[dg]:[^:]+:[^:]+:[^:]+$/;

/** Checks the presented password against the record; no secret on the record means none is required. */
async function secretMatches(record: DeviceCredential, password: Buffer | undefined): Promise<boolean> {
  if (!record.secret) return password === undefined || password.length === 0;
  return verifySecret(password ?? Buffer.alloc(0), record.secret);
}

function identityOf(record: DeviceCredential, key: string): Identity {
  return { tenant: record.tenant, deviceId: record.deviceId, dialect: record.dialect, credentialKey: key, fleet: record.fleet };
}

/** An application: its own topic rules in its tenant's tree; `dialect` is unused for it. */
function applicationIdentity(record: ApplicationCredential, key: string): Identity {
  return { tenant: record.tenant, deviceId: record.applicationId, dialect: 'flyve', credentialKey: key, fleet: null, application: { publish: record.publish, subscribe: record.subscribe } };
}

/**
 * Authenticates against the `device-credentials` bucket, trying the auth modes of the dialects in a
 * fixed order (ThingsBoard's resolution rules are the model, hardening §3.1):
 * 1. Watson: client id `d:<org>:<type>:<id>`, username `use-token-auth`, password = token;
 * 2. username + password: a `username-password` record (Flyve), else an application (from the
 *    `application-credentials` bucket), else basic credentials by client id;
 * 3. username alone: an access token (ThingsBoard), else basic credentials by client id;
 * 4. neither: basic credentials by client id alone.
 * Before these, a client certificate verified by the TLS listener is looked up by its SHA-256
 * fingerprint (`x509` records): the device is the certificate, never its subject CN, which a fake CA
 * with the same DN could copy (hardening §3.3). Without a record, the modes above still apply.
 * An unknown identity gets the same answer as a wrong secret, and the work of a wrong generated secret
 * (SHA-256); only a known basic credential with a chosen password costs a scrypt verification.
 */
export function kvAuthenticator(store: CredentialStore, applications?: CredentialStore<ApplicationCredential>): Authenticator {
  const byClientId = async (c: ConnectCredentials): Promise<Identity | undefined> => {
    const key = credentialKey.clientId(c.clientId);
    const record = c.clientId ? await store.get(key) : undefined;
    // Unknown: the work of one generated-secret check, as for a known device with a wrong password.
    // (A scrypt dummy here would make every stranger cost 100 ms of CPU: an easy denial of service.)
    if (!record || record.kind !== 'client-id' || record.revoked) return dummyVerify(c.password ?? Buffer.alloc(0), 'sha256').then(() => undefined);
    if ((record.username ?? undefined) !== (c.username || undefined)) return undefined;
    return (await secretMatches(record, c.password)) ? identityOf(record, key) : undefined;
  };
  return {
    async authenticate(c) {
      if (c.certificateFingerprint) {
        const key = credentialKey.x509(c.certificateFingerprint);
        const record = await store.get(key);
        // The client id is free unless the record pins one, as for the other kinds.
        if (record && record.kind === 'x509' && !record.revoked && (record.clientId === null || record.clientId === c.clientId)) return identityOf(record, key);
      }
      if (WATSON_CLIENT_ID.test(c.clientId) && c.username === 'use-token-auth') return byClientId(c);
      if (c.username && c.password && c.password.length > 0) {
        const key = credentialKey.username(c.username);
        const record = await store.get(key);
        if (record && record.kind === 'username-password' && !record.revoked) {
          if (record.clientId !== null && record.clientId !== c.clientId) return undefined;
          return (await secretMatches(record, c.password)) ? identityOf(record, key) : undefined;
        }
        const appKey = credentialKey.application(c.username);
        const application = await applications?.get(appKey);
        if (application && !application.revoked) {
          if (application.clientId !== null && application.clientId !== c.clientId) return undefined;
          return (await verifySecret(c.password, application.secret)) ? applicationIdentity(application, appKey) : undefined;
        }
        return byClientId(c);
      }
      if (c.username) {
        const key = credentialKey.accessToken(c.username);
        const record = await store.get(key);
        if (record && record.kind === 'access-token' && !record.revoked) return identityOf(record, key);
        return byClientId(c);
      }
      return byClientId(c);
    },
  };
}

/** The first authenticator that accepts decides; used to keep the development password beside KV. */
export function firstOf(...authenticators: Authenticator[]): Authenticator {
  return {
    async authenticate(credentials) {
      for (const authenticator of authenticators) {
        const identity = await authenticator.authenticate(credentials);
        if (identity) return identity;
      }
      return undefined;
    },
  };
}
