import cluster, { type Worker } from 'node:cluster';
import { createHttpServer, createLogger, onShutdownSignal, parseApiKeys } from '@flotilla/service-kit';
import { AggregatorRegistry } from 'prom-client';
import type { GatewayConfig } from './config.js';

/** How long workers have to drain after SIGTERM before they are killed. */
const DRAIN_TIMEOUT_MS = 25_000;

/**
 * The first process of a multi-process gateway (`GATEWAY_WORKERS` > 1): forks the workers — each a
 * complete gateway replica named `<GATEWAY_ID>-w<n>`, sharing the MQTT ports, which the cluster hands
 * new connections to in turn — restarts one that dies, and serves `/healthz`, `/readyz` (every worker
 * ready) and `/metrics` (the workers' metrics summed). SIGTERM drains every worker, then exits.
 */
export async function runGatewayPrimary(config: GatewayConfig): Promise<void> {
  const logger = createLogger({ name: 'mqtt-gateway', level: config.LOG_LEVEL });
  const aggregator = new AggregatorRegistry();
  const workers = new Map<number, { worker: Worker; ready: boolean }>();
  let starting = true;
  let stopping = false;

  const fork = (index: number) => {
    const worker = cluster.fork({ GATEWAY_ID: `${config.GATEWAY_ID}-w${index}`, GATEWAY_WORKERS: '1' });
    workers.set(index, { worker, ready: false });
    worker.on('message', (message: { type?: string }) => {
      if (message?.type === 'flotilla-worker-ready') workers.set(index, { worker, ready: true });
    });
    worker.on('exit', (code, signal) => {
      const wasReady = workers.get(index)?.ready ?? false;
      workers.set(index, { worker, ready: false });
      if (stopping) return;
      if (starting && !wasReady) {
        // A worker that cannot start (bad configuration, no NATS) will not start on a retry either.
        logger.fatal({ worker: index, code, signal }, 'a gateway worker could not start');
        process.stderr.write(`mqtt-gateway: worker ${index} could not start (exit ${code ?? signal})\n`);
        stopping = true;
        for (const { worker: other } of workers.values()) other.process.kill('SIGTERM');
        process.exitCode = 1;
        return;
      }
      logger.error({ worker: index, code, signal }, 'gateway worker died; starting another');
      setTimeout(() => fork(index), 500).unref();
    });
  };
  for (let index = 0; index < config.GATEWAY_WORKERS; index++) fork(index);
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (stopping) {
        clearInterval(check);
        reject(new Error('a gateway worker could not start'));
      } else if ([...workers.values()].every((w) => w.ready)) {
        clearInterval(check);
        resolve();
      }
    }, 50);
  }).catch(() => process.exit(1));
  starting = false;

  const http = await createHttpServer({
    logger,
    metrics: { contentType: aggregator.contentType, metrics: () => aggregator.clusterMetrics() },
    apiKeys: parseApiKeys(config.FLOTILLA_API_KEYS),
    routes: [],
    checks: [{ name: 'gateway-workers', ready: () => !stopping && [...workers.values()].every((w) => w.ready) }],
  });
  const address = await http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  logger.info({ http: address, workers: config.GATEWAY_WORKERS }, 'mqtt-gateway started');
  onShutdownSignal(logger, async () => {
    stopping = true;
    await http.close();
    const exits = [...workers.values()].map(
      ({ worker }) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          worker.once('exit', () => resolve());
          worker.process.kill('SIGTERM');
          setTimeout(() => worker.process.kill('SIGKILL'), DRAIN_TIMEOUT_MS).unref();
        }),
    );
    await Promise.all(exits);
  });
}
