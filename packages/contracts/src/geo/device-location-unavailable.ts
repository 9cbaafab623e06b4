import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope.js';
import { Dialect } from '../devices/dialect.js';

/**
 * The device answered a location request without a fix (Flyve `{"datetime":…,"gps":"off"}`), at its own
 * time `reportedAt`. Subject `geo.<tenant>.<deviceId>.DeviceLocationUnavailable`.
 */
export const DeviceLocationUnavailable = defineEvent(
  'DeviceLocationUnavailable',
  { version: 1, context: 'geo' },
  z.object({ deviceId: z.string().min(1), reportedAt: z.coerce.date(), reason: z.enum(['gps-off']), source: Dialect }),
);
/** Envelope of {@link DeviceLocationUnavailable}. */
export type DeviceLocationUnavailable = EventOf<typeof DeviceLocationUnavailable>;
