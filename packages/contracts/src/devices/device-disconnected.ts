import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope.js';
import { Dialect } from './dialect.js';

/** Why a device's connection ended. */
export const DisconnectReason = z.enum([
  'client-disconnect',
  'keepalive-timeout',
  'socket-error',
  'protocol-error',
  'session-taken-over',
  'server-shutdown',
  'credentials-revoked',
  'limit-exceeded',
  'presence-expired',
]);
/** One of {@link DisconnectReason}. */
export type DisconnectReason = z.infer<typeof DisconnectReason>;

/** A device's connection ended. Subject `devices.<tenant>.<deviceId>.DeviceDisconnected`. */
export const DeviceDisconnected = defineEvent(
  'DeviceDisconnected',
  { version: 1, context: 'devices' },
  z.object({
    deviceId: z.string().min(1),
    dialect: Dialect,
    clientId: z.string(),
    gatewayId: z.string().min(1),
    reason: DisconnectReason,
    disconnectedAt: z.coerce.date(),
  }),
);
/** Envelope of {@link DeviceDisconnected}. */
export type DeviceDisconnected = EventOf<typeof DeviceDisconnected>;
