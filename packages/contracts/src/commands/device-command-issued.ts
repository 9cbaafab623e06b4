import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope.js';
import { DeviceCommand } from './device-command.js';

/**
 * The platform accepted a command for a device and hands it to the gateway. Subject
 * `commands.<tenant>.<deviceId>.DeviceCommandIssued`; the COMMANDS stream is a work queue, so the
 * command stays stored until a gateway has it acknowledged by the device (or it expires).
 */
export const DeviceCommandIssued = defineEvent(
  'DeviceCommandIssued',
  { version: 1, context: 'commands' },
  z.object({
    commandId: z.string().min(1),
    deviceId: z.string().min(1),
    command: DeviceCommand,
    /** Not delivered after this; the gateway records it expired instead. */
    expiresAt: z.coerce.date().nullable(),
    /** The task that follows this command, if any. */
    taskId: z.string().min(1).nullable().default(null),
  }),
);
/** Envelope of {@link DeviceCommandIssued}. */
export type DeviceCommandIssued = EventOf<typeof DeviceCommandIssued>;
