import { connectBus } from '@flotilla/bus';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseApiKeys } from './api-keys.js';
import type { BaseServiceConfig } from './base-config.js';
import { createHttpServer } from './http-server.js';
import { onShutdownSignal } from './lifecycle.js';
import { createLogger } from './logger.js';
import type { RunningService, ServiceContext } from './service.js';

/**
 * Composition root of a service running alone (as Kubernetes runs it): logger and metrics → NATS and
 * streams → the service → HTTP; SIGTERM/SIGINT drain it. Errors are printed as one readable line.
 */
export async function runStandalone(name: string, config: BaseServiceConfig, start: (context: ServiceContext) => Promise<RunningService>): Promise<void> {
  const logger = createLogger({ name, level: config.LOG_LEVEL });
  try {
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const bus = await connectBus({ servers: config.NATS_URL.split(','), name, namespace: config.FLOTILLA_NAMESPACE, replicas: config.STREAM_REPLICAS, logger, metrics });
    await bus.ensureStreams();
    const service = await start({ bus, logger, metrics, databaseUrl: config.DATABASE_URL });
    const http = await createHttpServer({ logger, metrics, apiKeys: parseApiKeys(config.FLOTILLA_API_KEYS), routes: service.routes ? [service.routes] : [], checks: [service] });
    const address = await http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
    logger.info({ http: address, endpoints: service.endpoints }, `${name} started`);
    onShutdownSignal(logger, async () => {
      await http.close();
      await service.stop();
      await bus.drain();
    });
  } catch (error) {
    logger.fatal({ err: error }, `${name} could not start: ${(error as Error).message}`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
  }
}
