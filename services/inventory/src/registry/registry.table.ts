import type { Selectable } from 'kysely';

/** Where a device is in its enrollment; `unregistered` = seen by the gateway but never enrolled here. */
export type EnrollmentStatus = 'enrolled' | 'unenrolling' | 'unenrolled' | 'unregistered';

/** `devices`: the registry, one row per (tenant, device). */
export interface DevicesTable {
  tenant: string;
  device_id: string;
  dialect: string | null;
  serial: string | null;
  name: string | null;
  type: string | null;
  agent_version: string | null;
  email: string | null;
  fleet: string | null;
  topic: string | null;
  invitation_id: string | null;
  enrollment_status: EnrollmentStatus;
  enrolled_at: Date | null;
  unenroll_requested_at: Date | null;
  unenrolled_at: Date | null;
  online: boolean;
  /** Time and sequence of the presence event `online` comes from; an older one never overrides it. */
  presence_at: Date | null;
  presence_seq: number | null;
  last_seen_at: Date | null;
  last_seq: number;
}

/** The registry read model. */
export interface RegistryTables {
  devices: DevicesTable;
}

/** A row of `devices`. */
export type DeviceRow = Selectable<DevicesTable>;
