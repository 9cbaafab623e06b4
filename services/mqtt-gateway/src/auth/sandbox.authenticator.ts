import type { Authenticator } from './authenticator.js';

/**
 * The loopback sandbox (development only): a client that presents no credentials is an application of
 * `tenant` that may publish and subscribe anywhere in that tenant's tree (`$` topics included, except the
 * reserved ones) and follow its device events.
 * A client that presents credentials is authenticated as on any listener.
 */
export function sandboxAuthenticator(tenant: string, authenticated: Authenticator): Authenticator {
  // `unrestricted` is what grants the whole tree (`$` topics and device events included); the rules say the same for readers.
  const everything = { allow: ['#'], deny: [] };
  return {
    async authenticate(credentials) {
      if (credentials.username !== undefined || credentials.password !== undefined) return authenticated.authenticate(credentials);
      return { tenant, deviceId: 'anonymous', dialect: 'flyve', credentialKey: null, fleet: null, application: { publish: everything, subscribe: everything, unrestricted: true } };
    },
  };
}
