import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope.js';
import { SubjectToken } from '../subject-token.js';
import { Dialect } from './dialect.js';

/**
 * A device enrolled (flyve-mdm.md §B.3). Appended on the condition that the device's previous
 * enrollment, if any, is the one the decision saw, so a serial is enrolled once at a time.
 * Subject `devices.<tenant>.<deviceId>.DeviceEnrolled`.
 */
export const DeviceEnrolled = defineEvent(
  'DeviceEnrolled',
  { version: 1, context: 'devices' },
  z.object({
    deviceId: SubjectToken,
    dialect: Dialect,
    serial: z.string().min(1).max(256),
    /** Agent platform, e.g. `android`. */
    type: z.string().min(1).max(64),
    agentVersion: z.string().min(1).max(64),
    /** The invited user's e-mail (the device's owner). */
    email: z.email().max(254).nullable(),
    invitationId: z.string().min(1).nullable(),
    /** The device's MQTT topic root, e.g. `acme/agent/SERIAL`. */
    topic: z.string().min(1),
    fleet: SubjectToken.nullable(),
    name: z.string().min(1).max(256),
  }),
);
/** Envelope of {@link DeviceEnrolled}. */
export type DeviceEnrolled = EventOf<typeof DeviceEnrolled>;

/** An operator asked a device to unenroll; `Command/Unenroll` was issued. The device is *unenrolling*. */
export const DeviceUnenrollRequested = defineEvent(
  'DeviceUnenrollRequested',
  { version: 1, context: 'devices' },
  z.object({ deviceId: SubjectToken, commandId: z.string().min(1) }),
);
/** Envelope of {@link DeviceUnenrollRequested}. */
export type DeviceUnenrollRequested = EventOf<typeof DeviceUnenrollRequested>;

/**
 * A device is unenrolled: it confirmed (`Status/Unenroll`) or an operator forced it. Its credential is
 * revoked and its retained topics cleared. Subject `devices.<tenant>.<deviceId>.DeviceUnenrolled`.
 */
export const DeviceUnenrolled = defineEvent(
  'DeviceUnenrolled',
  { version: 1, context: 'devices' },
  z.object({ deviceId: SubjectToken, forced: z.boolean() }),
);
/** Envelope of {@link DeviceUnenrolled}. */
export type DeviceUnenrolled = EventOf<typeof DeviceUnenrolled>;
