import { baseServiceConfig } from '@flotilla/service-kit';
import { z } from 'zod';

const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/** Settings of the inventory service that do not come from the shared base (also used by the all-in-one launcher). */
export const inventorySettings = z.object({
  INVENTORY_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('inventory'),
  /** What an enrolled device is told to connect to. */
  ENROLLMENT_MQTT_HOST: z.string().min(1).default('127.0.0.1'),
  /** Unset: 1883 (the all-in-one launcher uses its own MQTT port). */
  ENROLLMENT_MQTT_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  ENROLLMENT_MQTT_TLS: flag.default(false),
  /** Public base URL of the API, put in invitation deeplinks. */
  ENROLLMENT_API_URL: z.string().url().default('http://127.0.0.1:8080/api/v1'),
  /** Days an invitation stays valid (Flyve's `agent_token_life`, P7D). */
  INVITATION_TTL_DAYS: z.coerce.number().min(0.0001).max(365).default(7),
  /** Oldest agent version accepted at enrollment (Flyve: 2.0 for Android). */
  ENROLLMENT_MIN_AGENT_VERSION: z.string().regex(/^\d+\.\d+\.\d+$/).default('2.0.0'),
  /** Seconds an operator waits for a device to confirm unenrollment before forcing it. */
  UNENROLL_FORCE_AFTER_SECONDS: z.coerce.number().int().min(0).default(300),
  /** Tenant created with the bootstrap admin key when the platform has none. */
  BOOTSTRAP_TENANT: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/).default('demo'),
  /** Support contacts carried in the enrollment deeplink. */
  SUPPORT_NAME: z.string().default(''),
  SUPPORT_PHONE: z.string().default(''),
  SUPPORT_WEBSITE: z.string().default(''),
  SUPPORT_EMAIL: z.string().default(''),
});
/** Parsed {@link inventorySettings}. */
export type InventorySettings = z.output<typeof inventorySettings>;

/** Environment of the inventory service run alone. */
export const inventoryConfig = baseServiceConfig.extend({ HTTP_PORT: baseServiceConfig.shape.HTTP_PORT.default(8082), ...inventorySettings.shape });
