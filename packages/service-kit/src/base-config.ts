import { z } from 'zod';
import { databaseUrlVar, logLevelVar, natsUrlVar, portVar } from './config.js';

/** Environment variables every service reads; services `.extend()` it with their own. */
export const baseServiceConfig = z.object({
  NATS_URL: natsUrlVar,
  DATABASE_URL: databaseUrlVar,
  LOG_LEVEL: logLevelVar,
  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: portVar(8080),
  /** `tenant:key,tenant:key`; temporary operator keys until operator accounts exist. */
  FLOTILLA_API_KEYS: z.string().default(''),
  /** Prefix for streams, subjects and buckets; empty in production. */
  FLOTILLA_NAMESPACE: z.string().regex(/^([a-z][a-z0-9_]{0,30})?$/, 'expected lower-case letters, digits and _').default(''),
  STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** How long to keep retrying the first NATS connection at start. */
  NATS_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
});
/** Parsed {@link baseServiceConfig}. */
export type BaseServiceConfig = z.output<typeof baseServiceConfig>;
