import type { RunningService, ServiceContext } from '@flotilla/service-kit';
import { devCredentialsAuthenticator } from './auth/dev-credentials.authenticator.js';
import type { GatewayConfig } from './config.js';
import { flyveRouter } from './flyve/flyve.router.js';
import { gatewayMetrics } from './metrics.js';
import { listenMqtt } from './mqtt/listener.js';
import { busPresence } from './presence/presence.js';

/** Settings of {@link startMqttGateway} (the gateway part of its configuration). */
export type GatewaySettings = Pick<
  GatewayConfig,
  'MQTT_HOST' | 'MQTT_PORT' | 'GATEWAY_ID' | 'GATEWAY_DEV_CREDENTIALS' | 'MQTT_MAX_PACKET_SIZE' | 'MQTT_CONNECT_TIMEOUT_MS' | 'MQTT_MAX_KEEPALIVE' | 'MQTT_RECEIVE_MAXIMUM'
>;

/** Starts the MQTT listener; device publishes become events on the bus. */
export async function startMqttGateway(context: ServiceContext, settings: GatewaySettings): Promise<RunningService & { port: number }> {
  const at = settings.GATEWAY_DEV_CREDENTIALS.indexOf(':');
  const logger = context.logger.child({ service: 'mqtt-gateway', gateway: settings.GATEWAY_ID });
  const presence = busPresence(context.bus, settings.GATEWAY_ID, logger);
  const listener = await listenMqtt(
    {
      gatewayId: settings.GATEWAY_ID,
      authenticator: devCredentialsAuthenticator(settings.GATEWAY_DEV_CREDENTIALS.slice(0, at), settings.GATEWAY_DEV_CREDENTIALS.slice(at + 1)),
      router: flyveRouter(context.bus),
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
    },
    settings.MQTT_HOST,
    settings.MQTT_PORT,
  );
  let stopped = false;
  return {
    name: 'mqtt-gateway',
    port: listener.address.port,
    endpoints: [`mqtt://${settings.MQTT_HOST}:${listener.address.port}`],
    ready: () => !stopped && !context.bus.connection.nc.isClosed(),
    async stop() {
      stopped = true;
      await listener.close();
      await presence.settled();
    },
  };
}
