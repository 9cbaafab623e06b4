import cluster from 'node:cluster';
import { connectBus } from '@flotilla/bus';
import { AggregatorRegistry, collectDefaultMetrics, Registry } from 'prom-client';
import type { z } from 'zod';
import { parseApiKeys } from './api-keys.js';
import type { BaseServiceConfig } from './base-config.js';
import { ConfigError, parseConfig } from './config.js';
import { createHttpServer } from './http-server.js';
import { openOperatorKeys } from './operator-auth.js';
import { onShutdownSignal } from './lifecycle.js';
import { createLogger } from './logger.js';
import type { RunningService, ServiceContext } from './service.js';

/**
 * Composition root of a service running alone (as Kubernetes runs it): configuration from the
 * environment → logger and metrics → NATS and streams → the service → HTTP; SIGTERM/SIGINT drain it.
 * Any start-up error is printed as one readable message and the process exits with status 1.
 */
export async function runStandalone<S extends z.ZodType<BaseServiceConfig>>(
  name: string,
  schema: S,
  start: (context: ServiceContext, config: Readonly<z.output<S>>) => Promise<RunningService>,
): Promise<void> {
  let config: Readonly<z.output<S>>;
  try {
    config = parseConfig(schema, process.env);
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger({ name, level: config.LOG_LEVEL });
  try {
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const bus = await connectBus({ servers: config.NATS_URL.split(','), name, namespace: config.FLOTILLA_NAMESPACE, replicas: config.STREAM_REPLICAS, connectTimeoutMs: config.NATS_CONNECT_TIMEOUT_MS, logger, metrics });
    await bus.ensureStreams();
    const service = await start({ bus, logger, metrics, databaseUrl: config.DATABASE_URL }, config);
    if (cluster.isWorker) {
      // A worker of a cluster (see the gateway's GATEWAY_WORKERS): the primary serves HTTP, aggregates
      // the workers' metrics and reports readiness; a worker only says when it is ready.
      // Constructing an aggregator is what makes prom-client answer the primary's metric requests.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([metrics]);
      logger.info({ endpoints: service.endpoints }, `${name} worker started`);
      process.send?.({ type: 'flotilla-worker-ready' });
      const stop = async () => {
        await service.stop();
        await bus.drain();
      };
      onShutdownSignal(logger, stop);
      // The primary is gone (killed): a worker does not outlive it.
      process.on('disconnect', () => void stop().finally(() => process.exit(0)));
      return;
    }
    const http = await createHttpServer({
      logger,
      metrics,
      apiKeys: parseApiKeys(config.FLOTILLA_API_KEYS),
      operatorKeys: await openOperatorKeys(bus),
      routes: service.routes ? [service.routes] : [],
      publicRoutes: service.publicRoutes ? [service.publicRoutes] : [],
      checks: [service],
      title: `Flotilla ${name}`,
    });
    const address = await http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
    logger.info({ http: address, endpoints: service.endpoints }, `${name} started`);
    onShutdownSignal(logger, async () => {
      await http.close();
      await service.stop();
      await bus.drain();
    });
  } catch (error) {
    logger.fatal({ err: error }, `${name} could not start: ${(error as Error).message}`);
    process.stderr.write(`${name} could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
