import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope.js';

/** Which limit a device hit. */
export const DeviceLimit = z.enum(['device-message-rate', 'tenant-message-rate', 'packet-size', 'receive-maximum']);
/** One of {@link DeviceLimit}. */
export type DeviceLimit = z.infer<typeof DeviceLimit>;

/**
 * A device hit a gateway limit and was refused (the device itself was told with a reason code or a
 * closed connection). Recorded at most once a minute per device and limit. Subject
 * `devices.<tenant>.<deviceId>.DeviceLimitExceeded`.
 */
export const DeviceLimitExceeded = defineEvent(
  'DeviceLimitExceeded',
  { version: 1, context: 'devices' },
  z.object({ deviceId: z.string().min(1), gatewayId: z.string().min(1), limit: DeviceLimit, detail: z.string(), exceededAt: z.coerce.date() }),
);
/** Envelope of {@link DeviceLimitExceeded}. */
export type DeviceLimitExceeded = EventOf<typeof DeviceLimitExceeded>;
