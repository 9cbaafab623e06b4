import type { Selectable } from 'kysely';

/** `tenants`: every tenant (Flyve entity). */
export interface TenantsTable {
  tenant: string;
  name: string;
  created_at: Date;
}

/** `api_keys`: issued operator keys, without their digests (those live only in the `operator-keys` bucket and events). */
export interface ApiKeysTable {
  key_id: string;
  tenant: string;
  name: string;
  role: string;
  revoked: boolean;
  created_at: Date;
  revoked_at: Date | null;
}

/** `invitations`: `status` is `pending`, `done` or `canceled`; expiry is read against `expires_at`. */
export interface InvitationsTable {
  tenant: string;
  invitation_id: string;
  email: string;
  token_digest: string;
  status: string;
  device_id: string | null;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

/** `enrollment_refusals`: one row per refused enrollment (`seq` is the event's stream sequence). */
export interface EnrollmentRefusalsTable {
  seq: number;
  tenant: string;
  invitation_id: string | null;
  serial: string | null;
  reason: string;
  message: string;
  remote_address: string | null;
  occurred_at: Date;
}

/** The read model of the IDENTITY context. */
export interface IdentityTables {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  invitations: InvitationsTable;
  enrollment_refusals: EnrollmentRefusalsTable;
}

/** A row of `invitations`. */
export type InvitationRow = Selectable<InvitationsTable>;
