import type { Dialect } from '@flotilla/contracts';

/** Who an accepted connection is: the tenant and device every topic rule is checked against. */
export interface Identity {
  tenant: string;
  deviceId: string;
  dialect: Dialect;
  /** The `device-credentials` key that admitted it; a change there re-checks the connection. */
  credentialKey: string | null;
  /** The fleet whose topics the device may follow. */
  fleet: string | null;
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
