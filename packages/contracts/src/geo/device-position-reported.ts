import { z } from 'zod';
import { Dialect } from '../devices/dialect.js';
import { defineEvent, type EventOf } from '../envelope.js';

/**
 * A device reported a position fix. Subject `geo.<tenant>.<deviceId>.DevicePositionReported`.
 * `reportedAt` is the device's own time of the fix; the envelope's `occurredAt` is when the platform
 * received it.
 */
export const DevicePositionReported = defineEvent(
  'DevicePositionReported',
  { version: 1, context: 'geo' },
  z.object({
    deviceId: z.string().min(1),
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    reportedAt: z.coerce.date(),
    source: Dialect,
    accuracy: z.number().nonnegative().nullable().default(null),
    altitude: z.number().nullable().default(null),
  }),
);
/** Envelope of {@link DevicePositionReported}. */
export type DevicePositionReported = EventOf<typeof DevicePositionReported>;
