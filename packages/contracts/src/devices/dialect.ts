import { z } from 'zod';

/** The wire dialects the gateway speaks. */
export const Dialect = z.enum(['flyve', 'thingsboard', 'watson']);
/** One of {@link Dialect}. */
export type Dialect = z.infer<typeof Dialect>;

/** MQTT protocol level from CONNECT: 3 = 3.1, 4 = 3.1.1, 5 = 5.0. */
export const MqttProtocolLevel = z.union([z.literal(3), z.literal(4), z.literal(5)]);
