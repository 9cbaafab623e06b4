import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope.js';
import { Dialect, MqttProtocolLevel } from './dialect.js';

/** A device completed CONNECT and was accepted by a gateway replica. Subject `devices.<tenant>.<deviceId>.DeviceConnected`. */
export const DeviceConnected = defineEvent(
  'DeviceConnected',
  { version: 1, context: 'devices' },
  z.object({
    deviceId: z.string().min(1),
    dialect: Dialect,
    clientId: z.string(),
    protocolLevel: MqttProtocolLevel,
    gatewayId: z.string().min(1),
    remoteAddress: z.string().nullable(),
    connectedAt: z.coerce.date(),
  }),
);
/** Envelope of {@link DeviceConnected}. */
export type DeviceConnected = EventOf<typeof DeviceConnected>;
