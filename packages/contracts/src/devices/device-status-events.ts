import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope.js';

/**
 * Statuses a device may never report: the platform's own task states (flyve-mdm.md §A.4: `queued` when
 * a task is created, `pushed` when it was sent; `delivered` when the device acknowledged it at MQTT level).
 */
export const RESERVED_TASK_STATUSES = ['queued', 'pushed', 'delivered'] as const;

/** A task status text as devices report it (§A.4): 1–255 characters, not a reserved word. */
export const ReportedTaskStatus = z
  .string()
  .min(1)
  .max(255)
  .refine((status) => !(RESERVED_TASK_STATUSES as readonly string[]).includes(status.trim().toLowerCase()), { message: `must not be one of the reserved statuses ${RESERVED_TASK_STATUSES.join(', ')}` });

/** A task id as devices echo it: the platform's id, digits or a token (numbers arrive as strings or numbers). */
export const ReportedTaskId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -');

/** The device answered a ping (`Status/Ping` with `!`). Subject `devices.<tenant>.<deviceId>.DevicePinged`. */
export const DevicePinged = defineEvent('DevicePinged', { version: 1, context: 'devices' }, z.object({ deviceId: z.string().min(1), receivedAt: z.coerce.date() }));
/** Envelope of {@link DevicePinged}. */
export type DevicePinged = EventOf<typeof DevicePinged>;

/**
 * The device reported its online state (`Status/Online`), itself or through its Last Will. The connection
 * it came from (and when that connection started) orders reports: a report of an older connection never
 * overrides one of a newer connection, however late it arrives.
 */
export const DeviceOnlineReported = defineEvent(
  'DeviceOnlineReported',
  { version: 1, context: 'devices' },
  z.object({
    deviceId: z.string().min(1),
    online: z.boolean(),
    /** True when the gateway published it as the connection's Last Will. */
    lastWill: z.boolean(),
    /** The MQTT retain flag the device set. */
    retained: z.boolean(),
    connectionId: z.string().min(1),
    connectionStartedAt: z.coerce.date(),
    receivedAt: z.coerce.date(),
  }),
);
/** Envelope of {@link DeviceOnlineReported}. */
export type DeviceOnlineReported = EventOf<typeof DeviceOnlineReported>;

/** The device reported progress of a task (`Status/Task/<id>` or `Status/Task` `updateStatus`). */
export const DeviceTaskStatusReported = defineEvent(
  'DeviceTaskStatusReported',
  { version: 1, context: 'devices' },
  z.object({ deviceId: z.string().min(1), taskId: ReportedTaskId, status: ReportedTaskStatus, receivedAt: z.coerce.date() }),
);
/** Envelope of {@link DeviceTaskStatusReported}. */
export type DeviceTaskStatusReported = EventOf<typeof DeviceTaskStatusReported>;

/**
 * The device sent its inventory (`Status/Inventory`): the FusionInventory XML document as received, and
 * the `DEVICEID` it names. Parsing it into tables is the inventory service's work.
 */
export const DeviceInventoryReported = defineEvent(
  'DeviceInventoryReported',
  { version: 1, context: 'devices' },
  z.object({ deviceId: z.string().min(1), format: z.literal('fusioninventory-xml'), document: z.string().min(1), inventoryDeviceId: z.string().nullable(), receivedAt: z.coerce.date() }),
);
/** Envelope of {@link DeviceInventoryReported}. */
export type DeviceInventoryReported = EventOf<typeof DeviceInventoryReported>;

/** The device confirmed it unenrolled (`Status/Unenroll` `{"unenroll":"unenrolled"}`). */
export const DeviceUnenrollReported = defineEvent('DeviceUnenrollReported', { version: 1, context: 'devices' }, z.object({ deviceId: z.string().min(1), receivedAt: z.coerce.date() }));
/** Envelope of {@link DeviceUnenrollReported}. */
export type DeviceUnenrollReported = EventOf<typeof DeviceUnenrollReported>;

/** A legacy (G1) agent acknowledged a package (`Status/Install` `{"ack":"<package>"}`). */
export const DeviceInstallAcknowledged = defineEvent(
  'DeviceInstallAcknowledged',
  { version: 1, context: 'devices' },
  z.object({ deviceId: z.string().min(1), packageName: z.string().min(1).max(255), receivedAt: z.coerce.date() }),
);
/** Envelope of {@link DeviceInstallAcknowledged}. */
export type DeviceInstallAcknowledged = EventOf<typeof DeviceInstallAcknowledged>;
