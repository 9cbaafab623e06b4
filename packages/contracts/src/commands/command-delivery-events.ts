import { z } from 'zod';
import { MqttProtocolLevel } from '../devices/dialect.js';
import { defineEvent, type EventOf } from '../envelope.js';

const delivery = {
  commandId: z.string().min(1),
  deviceId: z.string().min(1),
  taskId: z.string().min(1).nullable(),
  gatewayId: z.string().min(1),
};

/** A gateway sent a command to the device (PUBLISH written). Subject `devices.<tenant>.<deviceId>.DeviceCommandPushed`. */
export const DeviceCommandPushed = defineEvent(
  'DeviceCommandPushed',
  { version: 1, context: 'devices' },
  z.object({ ...delivery, topic: z.string().min(1), qos: z.union([z.literal(0), z.literal(1), z.literal(2)]), protocolLevel: MqttProtocolLevel, pushedAt: z.coerce.date() }),
);
/** Envelope of {@link DeviceCommandPushed}. */
export type DeviceCommandPushed = EventOf<typeof DeviceCommandPushed>;

/** The device acknowledged the command at MQTT level (PUBACK for QoS 1, PUBCOMP for QoS 2). */
export const DeviceCommandDelivered = defineEvent('DeviceCommandDelivered', { version: 1, context: 'devices' }, z.object({ ...delivery, deliveredAt: z.coerce.date() }));
/** Envelope of {@link DeviceCommandDelivered}. */
export type DeviceCommandDelivered = EventOf<typeof DeviceCommandDelivered>;

/** The command's expiry passed before the device could get it; it was not delivered. */
export const DeviceCommandExpired = defineEvent('DeviceCommandExpired', { version: 1, context: 'devices' }, z.object({ ...delivery, expiredAt: z.coerce.date() }));
/** Envelope of {@link DeviceCommandExpired}. */
export type DeviceCommandExpired = EventOf<typeof DeviceCommandExpired>;
