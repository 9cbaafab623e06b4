import type { Dialect } from '@flotilla/contracts';

/** Who an accepted connection is: the tenant and device every topic rule is checked against. */
export interface Identity {
  tenant: string;
  deviceId: string;
  dialect: Dialect;
}

/** What a CONNECT presents. */
export interface ConnectCredentials {
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
}

/** Decides who a connection is; `undefined` means refused (unknown user and wrong password alike). */
export interface Authenticator {
  authenticate(credentials: ConnectCredentials): Promise<Identity | undefined>;
}
