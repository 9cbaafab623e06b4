import type { AddressInfo } from 'node:net';
import { connectBus, type Bus } from '@flotilla/bus';
import { startGeolocation } from '@flotilla/geolocation';
import { startInventory } from '@flotilla/inventory';
import { startMqttGateway } from '@flotilla/mqtt-gateway';
import { startPolicyService } from '@flotilla/policy-service';
import { createHttpServer, openOperatorKeys, parseApiKeys, type RunningService } from '@flotilla/service-kit';
import { startTaskTracker } from '@flotilla/task-tracker';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadDevCredentials, type DevCredentials } from './dev-credentials.js';
import { resolveInfrastructure, type Infrastructure } from './infrastructure.js';
import type { PlatformConfig } from './platform-config.js';

/** The whole platform running in this process. */
export interface Platform {
  httpUrl: string;
  mqttPort: number;
  natsUrl: string;
  databaseUrl: string;
  bus: Bus;
  services: readonly RunningService[];
  /** The first tenant's admin key, when this start created it (printed once). */
  bootstrap: { tenant: string; key: string } | undefined;
  /** Present when development credentials were used (none configured). */
  devCredentials: (DevCredentials & { created: boolean }) | undefined;
  infrastructure: Infrastructure;
  /** Stops HTTP, the gateway (draining acks), the projections, the bus and any embedded server. */
  stop(): Promise<void>;
}

/** Starts every service in-process on one HTTP port, plus the MQTT listener. */
export async function startPlatform(config: PlatformConfig, logger: Logger): Promise<Platform> {
  const infrastructure = await resolveInfrastructure(config, logger);
  const started: RunningService[] = [];
  let bus: Bus | undefined;
  try {
    let devCredentials: Platform['devCredentials'];
    let deviceCredentials = config.GATEWAY_DEV_CREDENTIALS;
    if (!deviceCredentials) {
      const { credentials, created } = await loadDevCredentials(config.FLOTILLA_DATA_DIR);
      devCredentials = { ...credentials, created };
      deviceCredentials = `${credentials.tenant}:${credentials.devicePassword}`;
    }
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    bus = await connectBus({ servers: infrastructure.natsUrl.split(','), name: 'flotilla', namespace: config.FLOTILLA_NAMESPACE, replicas: config.STREAM_REPLICAS, connectTimeoutMs: config.NATS_CONNECT_TIMEOUT_MS, logger, metrics });
    await bus.ensureStreams();
    const context = { bus, logger, metrics, databaseUrl: infrastructure.databaseUrl };
    const schema = (name: string) => `${config.DB_SCHEMA_PREFIX}${name}`;
    started.push(await startGeolocation(context, { schema: schema('geo') }));
    started.push(await startPolicyService(context, { schema: schema('policy') }));
    started.push(await startTaskTracker(context, { schema: schema('tasks') }));
    const gateway = await startMqttGateway(context, { ...config, GATEWAY_DEV_CREDENTIALS: deviceCredentials });
    started.push(gateway);
    const inventory = await startInventory(context, { ...config, INVENTORY_DB_SCHEMA: schema('inventory'), ENROLLMENT_MQTT_PORT: config.ENROLLMENT_MQTT_PORT ?? gateway.port });
    started.push(inventory);
    const http = await createHttpServer({
      logger,
      metrics,
      apiKeys: parseApiKeys(config.FLOTILLA_API_KEYS),
      operatorKeys: await openOperatorKeys(bus),
      routes: started.flatMap((service) => (service.routes ? [service.routes] : [])),
      publicRoutes: started.flatMap((service) => (service.publicRoutes ? [service.publicRoutes] : [])),
      checks: started,
    });
    await http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
    const { port } = http.server.address() as AddressInfo;
    const activeBus = bus;
    return {
      httpUrl: `http://${config.HTTP_HOST === '0.0.0.0' ? '127.0.0.1' : config.HTTP_HOST}:${port}`,
      mqttPort: gateway.port,
      natsUrl: infrastructure.natsUrl,
      databaseUrl: infrastructure.databaseUrl,
      bus: activeBus,
      services: started,
      bootstrap: inventory.bootstrap,
      devCredentials,
      infrastructure,
      async stop() {
        await http.close();
        // The gateway first, so acks for stored messages go out; then projections finish their batch.
        for (const service of [...started].reverse()) await service.stop();
        await activeBus.drain();
        await infrastructure.stop();
      },
    };
  } catch (error) {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
    await bus?.drain().catch(() => undefined);
    await infrastructure.stop();
    throw error;
  }
}
