import { inventorySettings } from '@flotilla/inventory';
import { checkTlsSettings, gatewayConfig } from '@flotilla/mqtt-gateway';
import { z } from 'zod';

const optionalUrl = (pattern: RegExp, expected: string) =>
  z
    .string()
    .optional()
    .refine((value) => value === undefined || value.split(',').every((url) => pattern.test(url.trim())), expected);

/** Environment of `flotilla start`: every service in one process. */
export const platformConfig = gatewayConfig.extend({
  ...inventorySettings.omit({ INVENTORY_DB_SCHEMA: true }).shape,
  HTTP_PORT: gatewayConfig.shape.HTTP_PORT.default(8080),
  /** Unset: use 127.0.0.1:4222, or start nats-server there when nothing answers. */
  NATS_URL: optionalUrl(/^(nats|tls|ws|wss):\/\/\S+$/, 'expected nats://host:port (comma-separated for several servers)'),
  /** Unset: use 127.0.0.1:5432, or start an embedded PostgreSQL there when nothing answers. */
  DATABASE_URL: optionalUrl(/^postgres(ql)?:\/\/\S+$/, 'expected postgres://user@host:port/database'),
  GATEWAY_DEV_CREDENTIALS: gatewayConfig.shape.GATEWAY_DEV_CREDENTIALS.optional(),
  FLOTILLA_DATA_DIR: z.string().default('.flotilla'),
  /** `auto` starts NATS/PostgreSQL when their URL is unset and nothing answers; `never` fails instead. */
  FLOTILLA_EMBEDDED: z.enum(['auto', 'never']).default('auto'),
  /** Prefix of every service schema (`geo` → `<prefix>geo`); empty in production. */
  DB_SCHEMA_PREFIX: z.string().regex(/^([a-z][a-z0-9_]{0,20})?$/).default(''),
}).superRefine(checkTlsSettings);
/** Parsed {@link platformConfig}. */
export type PlatformConfig = z.output<typeof platformConfig>;
