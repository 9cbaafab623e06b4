import { baseServiceConfig, portVar } from '@flotilla/service-kit';
import { availableParallelism, hostname } from 'node:os';
import { z } from 'zod';
import { rateLimitSetting } from './limits/limits.js';

/** A port that is off unless set. */
const optionalPort = z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535).optional();

/** Environment of the MQTT gateway. */
export const gatewayConfig = baseServiceConfig.extend({
  HTTP_PORT: baseServiceConfig.shape.HTTP_PORT.default(8081),
  MQTT_HOST: z.string().default('0.0.0.0'),
  MQTT_PORT: portVar(1883),
  GATEWAY_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected letters, digits, _ or -').default(`${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${process.pid}`),
  /** Development only: `tenant:password` shared by every Flyve device of the tenant, beside the device credentials in KV. */
  GATEWAY_DEV_CREDENTIALS: z.string().regex(/^[^:.*>\s]+:.{8,}$/, 'expected tenant:password with a password of 8 characters or more').optional(),
  /** Failed logins allowed per source address and per identity within MQTT_AUTH_WINDOW_MS before a lockout. */
  MQTT_AUTH_MAX_FAILURES: z.coerce.number().int().min(1).default(10),
  MQTT_AUTH_WINDOW_MS: z.coerce.number().int().min(1).default(60_000),
  /** First lockout; it doubles for each further one, up to an hour. */
  MQTT_AUTH_LOCKOUT_MS: z.coerce.number().int().min(0).default(60_000),
  MQTT_MAX_PACKET_SIZE: z.coerce.number().int().min(1024).max(268_435_455).default(132_096),
  MQTT_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  MQTT_MAX_KEEPALIVE: z.coerce.number().int().min(1).max(65_535).default(1_200),
  MQTT_RECEIVE_MAXIMUM: z.coerce.number().int().min(1).max(65_535).default(100),
  /** Topic aliases an MQTT 5 client may set on a connection; 0 refuses them. */
  MQTT_TOPIC_ALIAS_MAXIMUM: z.coerce.number().int().min(0).max(65_535).default(32),
  /** Subscriptions per session, also the most filters in one SUBSCRIBE. */
  MQTT_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).default(100),
  /** Connections from one address that have not completed CONNECT yet (slow or idle sockets). */
  MQTT_MAX_PENDING_PER_ADDRESS: z.coerce.number().int().min(1).default(1_000),
  /** Messages per device, `capacity:seconds[,…]` (ThingsBoard's default for devices); empty: no limit. Per replica. */
  MQTT_DEVICE_MESSAGE_RATE: rateLimitSetting(z.string()).default('200:1,6000:60'),
  /** Messages per tenant, likewise; empty: no limit. */
  MQTT_TENANT_MESSAGE_RATE: rateLimitSetting(z.string()).default(''),
  /** Open connections per replica; 0: no limit. */
  MQTT_MAX_CONNECTIONS: z.coerce.number().int().min(0).default(0),
  /** New connections per replica, and per source address; empty: no limit. */
  MQTT_CONNECTION_RATE: rateLimitSetting(z.string()).default(''),
  MQTT_CONNECTION_RATE_PER_ADDRESS: rateLimitSetting(z.string()).default(''),
  /** CONNECTs per client id and per username (reconnect storms, like EMQX's flapping detection). */
  MQTT_RECONNECT_RATE: rateLimitSetting(z.string()).default('30:60'),
  /** MQTT over TLS (usually 8883); unset: off. */
  MQTT_TLS_PORT: optionalPort,
  /** PEM server certificate (with intermediates) and key, for TLS and secure WebSocket. */
  MQTT_TLS_CERT_FILE: z.string().optional(),
  MQTT_TLS_KEY_FILE: z.string().optional(),
  /** PEM CA that device certificates must chain to (mutual TLS). */
  MQTT_TLS_CA_FILE: z.string().optional(),
  /** PEM certificate revocation list of that CA; a revoked device certificate fails the handshake. */
  MQTT_TLS_CRL_FILE: z.string().optional(),
  /** Require a client certificate on the TLS port; devices are then identified by its fingerprint. */
  MQTT_TLS_CLIENT_CERTS: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  MQTT_TLS_HANDSHAKE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** MQTT over WebSocket (usually 8083) and over secure WebSocket (usually 8084); unset: off. */
  MQTT_WS_PORT: optionalPort,
  MQTT_WSS_PORT: optionalPort,
  MQTT_WS_PATH: z.string().startsWith('/').default('/mqtt'),
  /** How long a command sent to a device may wait for its PUBACK/PUBCOMP before it is offered again. */
  MQTT_COMMAND_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(300_000),
  /** Longest a session outlives its connection (MQTT 3 clean session 0 gets exactly this), in seconds. */
  MQTT_MAX_SESSION_EXPIRY: z.coerce.number().int().min(0).default(7 * 24 * 3600),
  /** How long applications' messages stay in the MQTT_APPS stream for persistent sessions that are away, in seconds. */
  MQTT_APP_RETENTION_SECONDS: z.coerce.number().int().min(60).default(24 * 3600),
  /** Most bytes the MQTT_APPS stream keeps (oldest messages go first). */
  MQTT_APP_MAX_BYTES: z.coerce.number().int().min(1_048_576).default(1024 ** 3),
  /** Development only: a listener on 127.0.0.1 that admits clients without credentials as applications of MQTT_SANDBOX_TENANT; unset: off. */
  MQTT_SANDBOX_PORT: optionalPort,
  MQTT_SANDBOX_TENANT: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected letters, digits, _ or -').default('sandbox'),
  /**
   * Gateway processes sharing the MQTT ports (Node.js cluster), each a replica of its own; `auto`: one
   * per CPU. The first process serves HTTP with the workers' metrics summed.
   */
  GATEWAY_WORKERS: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(64)])
    .default(1)
    .transform((value) => (value === 'auto' ? availableParallelism() : value)),
  /** A replica that stops heart-beating for this long has its devices reported offline by the others. */
  MQTT_PRESENCE_TTL_MS: z.coerce.number().int().min(1_000).default(15_000),
});

/** The rules between the TLS settings, for every configuration that includes the gateway's. */
export function checkTlsSettings(
  config: Pick<GatewayConfig, 'MQTT_TLS_PORT' | 'MQTT_WSS_PORT' | 'MQTT_TLS_CERT_FILE' | 'MQTT_TLS_KEY_FILE' | 'MQTT_TLS_CLIENT_CERTS' | 'MQTT_TLS_CA_FILE'>,
  context: z.RefinementCtx,
): void {
  if ((config.MQTT_TLS_PORT !== undefined || config.MQTT_WSS_PORT !== undefined) && (!config.MQTT_TLS_CERT_FILE || !config.MQTT_TLS_KEY_FILE)) {
    context.addIssue({ code: 'custom', path: ['MQTT_TLS_CERT_FILE'], message: 'MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE are required with MQTT_TLS_PORT or MQTT_WSS_PORT' });
  }
  if (config.MQTT_TLS_CLIENT_CERTS && !config.MQTT_TLS_CA_FILE) {
    // Without a CA, any certificate from a public root would be accepted.
    context.addIssue({ code: 'custom', path: ['MQTT_TLS_CA_FILE'], message: 'MQTT_TLS_CA_FILE is required with MQTT_TLS_CLIENT_CERTS=true' });
  }
}

/** The gateway configuration with the rules between its TLS settings checked. */
export const checkedGatewayConfig = gatewayConfig.superRefine(checkTlsSettings);

/** Parsed {@link gatewayConfig}. */
export type GatewayConfig = z.output<typeof gatewayConfig>;
