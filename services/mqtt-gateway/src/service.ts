import type { RunningService, ServiceContext } from '@flotilla/service-kit';
import type { Authenticator } from './auth/authenticator.js';
import { kvCredentialStore } from './auth/credential-store.js';
import { devCredentialsAuthenticator } from './auth/dev-credentials.authenticator.js';
import { firstOf, kvAuthenticator } from './auth/kv.authenticator.js';
import { loginThrottle } from './auth/login-throttle.js';
import type { GatewayConfig } from './config.js';
import { routerFor } from './dialects.js';
import { gatewayMetrics } from './metrics.js';
import { ClientIds } from './mqtt/client-ids.js';
import { createConnectionHub } from './mqtt/connection-hub.js';
import { listenTcp } from './mqtt/listener.js';
import { ReasonCode } from './mqtt/reason-codes.js';
import { busPresence } from './presence/presence.js';

/** Settings of {@link startMqttGateway} (the gateway part of its configuration). */
export type GatewaySettings = Pick<GatewayConfig, 'MQTT_HOST' | 'MQTT_PORT' | 'GATEWAY_ID' | 'MQTT_MAX_PACKET_SIZE' | 'MQTT_CONNECT_TIMEOUT_MS' | 'MQTT_MAX_KEEPALIVE' | 'MQTT_RECEIVE_MAXIMUM'> &
  Partial<Pick<GatewayConfig, 'GATEWAY_DEV_CREDENTIALS' | 'MQTT_AUTH_MAX_FAILURES' | 'MQTT_AUTH_WINDOW_MS' | 'MQTT_AUTH_LOCKOUT_MS'>>;

/** The KV bucket inventory writes device credentials to and the gateway reads them from. */
export const DEVICE_CREDENTIALS_BUCKET = 'device-credentials';

/** Starts the MQTT listener; device publishes become events on the bus. */
export async function startMqttGateway(context: ServiceContext, settings: GatewaySettings): Promise<RunningService & { port: number }> {
  const logger = context.logger.child({ service: 'mqtt-gateway', gateway: settings.GATEWAY_ID });
  const buckets = await context.bus.ensureBuckets([{ name: DEVICE_CREDENTIALS_BUCKET, description: 'device credentials (hashed), written by inventory' }]);
  const store = await kvCredentialStore(buckets.get(DEVICE_CREDENTIALS_BUCKET)!, logger);
  const authenticators: Authenticator[] = [];
  if (settings.GATEWAY_DEV_CREDENTIALS) {
    const at = settings.GATEWAY_DEV_CREDENTIALS.indexOf(':');
    authenticators.push(devCredentialsAuthenticator(settings.GATEWAY_DEV_CREDENTIALS.slice(0, at), settings.GATEWAY_DEV_CREDENTIALS.slice(at + 1)));
  }
  authenticators.push(kvAuthenticator(store));
  const presence = busPresence(context.bus, settings.GATEWAY_ID, logger);
  const hub = createConnectionHub({
    gatewayId: settings.GATEWAY_ID,
    authenticator: firstOf(...authenticators),
    throttle: loginThrottle({
      maxFailures: settings.MQTT_AUTH_MAX_FAILURES ?? 10,
      windowMs: settings.MQTT_AUTH_WINDOW_MS ?? 60_000,
      lockoutMs: settings.MQTT_AUTH_LOCKOUT_MS ?? 60_000,
      maxLockoutMs: 3_600_000,
    }),
    clientIds: new ClientIds(),
    routerFor: routerFor(context.bus),
    bus: context.bus,
    presence,
    logger,
    metrics: gatewayMetrics(context.metrics),
    limits: {
      maxPacketSize: settings.MQTT_MAX_PACKET_SIZE,
      connectTimeoutMs: settings.MQTT_CONNECT_TIMEOUT_MS,
      maxKeepAliveSeconds: settings.MQTT_MAX_KEEPALIVE,
      receiveMaximum: settings.MQTT_RECEIVE_MAXIMUM,
    },
  });
  const listener = await listenTcp(hub, settings.MQTT_HOST, settings.MQTT_PORT);
  // A credential changed in KV (revoked, rotated, deleted): its connections must authenticate again.
  store.onChange((key) => {
    for (const connection of hub.connections) {
      if (connection.identity?.credentialKey === key) connection.close('credentials-revoked', ReasonCode.administrativeAction, 'credentials changed');
    }
  });
  let stopped = false;
  return {
    name: 'mqtt-gateway',
    port: listener.address.port,
    endpoints: [`mqtt://${settings.MQTT_HOST}:${listener.address.port}`],
    ready: () => !stopped && !context.bus.connection.nc.isClosed(),
    async stop() {
      stopped = true;
      store.stop();
      await listener.close();
      await hub.closeAll();
      await presence.settled();
    },
  };
}
