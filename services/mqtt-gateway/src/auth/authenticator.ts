import type { Dialect, TopicRules } from '@flotilla/contracts';

/** What an application may do: the tenant's broker within its topic rules, and device events. */
export interface ApplicationGrant {
  publish: TopicRules;
  subscribe: TopicRules;
  /**
   * Every topic of its tenant's tree, `$` topics included (which no filter can name as a whole): the
   * development sandbox only. Reserved topics stay refused.
   */
  unrestricted?: boolean;
}

/** Who an accepted connection is: the tenant and device (or application) every topic rule is checked against. */
export interface Identity {
  tenant: string;
  /** The device id, or for an application its application id. */
  deviceId: string;
  dialect: Dialect;
  /** The credential key that admitted it; a change there re-checks the connection. */
  credentialKey: string | null;
  /** The fleet whose topics the device may follow. */
  fleet: string | null;
  /** Set for an application (a client that is not a device); its topic rules replace the dialect's. */
  application?: ApplicationGrant;
}

/** A stable key of who holds a client id or session: devices and applications never share one. */
export function principalKey(identity: Pick<Identity, 'tenant' | 'deviceId' | 'application'>): string {
  return `${identity.application ? 'application' : 'device'}\u0000${identity.tenant}\u0000${identity.deviceId}`;
}

/** The label of an identity in metrics: its dialect, or `application`. */
export function identityKind(identity: Identity): Dialect | 'application' {
  return identity.application ? 'application' : identity.dialect;
}

/** What a CONNECT presents. */
export interface ConnectCredentials {
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  /**
   * SHA-256 fingerprint (lowercase hex, no colons) of the client certificate the TLS layer verified;
   * absent without TLS, without a client certificate, or when the certificate did not verify.
   */
  certificateFingerprint?: string | undefined;
}

/** Decides who a connection is; `undefined` means refused (unknown user and wrong password alike). */
export interface Authenticator {
  authenticate(credentials: ConnectCredentials): Promise<Identity | undefined>;
}
