import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { connectBus, type Bus } from '@flotilla/bus';
import { deleteNamespace } from '@flotilla/bus/testing';
import type { Context } from '@flotilla/contracts';
import { sleep } from '../load/stats.js';
import { collectGarbage } from './inspector.js';
import { freePort, guardStart, listenerPid, startProcess, tempDir, waitForPort } from './process.js';
import { scrape } from './prometheus.js';
import { positionTopic, TENANT, type BrokerUnderTest } from './server.js';

/** The Flotilla gateway under test, with the bus of its namespace for commands and stream counts. */
export interface GatewayUnderTest extends BrokerUnderTest {
  readonly namespace: string;
  readonly bus: Bus;
  /** Sums of the gateway's Prometheus metrics. */
  metrics(): Promise<Map<string, number>>;
}

/** Options of {@link startGateway}. */
export interface GatewayStartOptions {
  repoRoot: string;
  natsUrl: string;
  /** Write a V8 CPU profile of the gateway into this directory (at its exit). */
  cpuProfileDir?: string;
  /** GATEWAY_WORKERS: processes sharing the MQTT port (the forced-GC reading needs a single process). */
  workers?: number;
}

const METRICS = ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'flotilla_gateway_connections', 'flotilla_gateway_messages_in_total', 'flotilla_gateway_rejections_total', 'flotilla_gateway_auth_failures_total'];

/**
 * Starts `services/mqtt-gateway/src/main.ts` as its own process against the machine's NATS, in a fresh
 * namespace (deleted at stop), with a development password for tenant `bench`.
 */
export async function startGateway(options: GatewayStartOptions): Promise<GatewayUnderTest> {
  const namespace = `bench${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const [mqttPort, httpPort, inspectorPort] = [await freePort(), await freePort(), await freePort()];
  const dir = await tempDir('gateway');
  const child = startProcess(
    'mqtt-gateway',
    process.execPath,
    // The inspector opens only on SIGUSR1 (see collectGarbage), on this port.
    ['--import', 'tsx', `--inspect-port=127.0.0.1:${inspectorPort}`, ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []), 'services/mqtt-gateway/src/main.ts'],
    {
      cwd: options.repoRoot,
      logFile: join(dir.path, 'gateway.log'),
      env: {
        ...process.env,
        NODE_ENV: 'production',
        NATS_URL: options.natsUrl,
        FLOTILLA_NAMESPACE: namespace,
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(mqttPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        GATEWAY_DEV_CREDENTIALS: `${TENANT}:${password}`,
        MQTT_AUTH_MAX_FAILURES: '100000',
        // Benchmark devices publish far more than a real one: no per-device message rate limit.
        MQTT_DEVICE_MESSAGE_RATE: '',
        LOG_LEVEL: 'warn',
        GATEWAY_WORKERS: String(options.workers ?? 1),
      },
    },
  );
  let bus: Bus | undefined;
  const cleanup = async () => {
    await child.stop(15_000);
    await bus?.drain().catch(() => undefined);
    await deleteNamespace(options.natsUrl, namespace).catch((error: unknown) => console.error(`could not delete namespace ${namespace}: ${(error as Error).message}`));
    await dir.remove();
  };
  const stop = await guardStart(cleanup, async () => {
    await waitForPort(mqttPort, child, 60_000);
    const readyUntil = Date.now() + 30_000;
    while ((await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.status, () => 0)) !== 200) {
      if (Date.now() > readyUntil) throw new Error(`gateway not ready:\n${await child.tail()}`);
      await sleep(100);
    }
    bus = await connectBus({ servers: options.natsUrl, namespace, name: `bench-${namespace}`, connectTimeoutMs: 5_000 });
  });
  // Set by the readiness step, which throws (after cleaning up) when it cannot.
  const connectedBus = bus!;
  const natsPort = new URL(options.natsUrl.split(',')[0]!).port;
  const helperPid = natsPort ? await listenerPid(Number(natsPort)) : undefined;
  let inspectorOpen = false;
  const metrics = () => scrape(`http://127.0.0.1:${httpPort}/metrics`);
  const streamMessages = async (context: Context) => (await connectedBus.connection.jsm.streams.info(connectedBus.names.stream(context))).state.messages;
  return {
    key: 'gateway',
    description: 'Flotilla mqtt-gateway (Node.js, one process) → NATS JetStream on 127.0.0.1:4222',
    host: '127.0.0.1',
    port: mqttPort,
    pid: child.pid,
    helperPid,
    namespace,
    bus: connectedBus,
    notes: [
      `namespace ${namespace}; devices authenticate with the development password of tenant ${TENANT} (SHA-256, constant-time compare)`,
      'QoS 1 PUBACK after JetStream stored the DevicePositionReported event (file storage, de-duplication window on)',
      'each CONNECT also publishes DeviceConnected and writes the presence KV entry (after the CONNACK)',
      'MQTT_DEVICE_MESSAGE_RATE empty (no per-device message rate limit; the default 200:1,6000:60 would cut benchmark publishers off)',
    ],
    credentials: (serial) => ({ username: serial, password }),
    positionTopic,
    metrics,
    // The inspector reaches the first process only: with workers there is no forced-GC figure.
    ...((options.workers ?? 1) > 1
      ? {}
      : {
          async collectGarbage() {
            if (!inspectorOpen) {
              process.kill(child.pid, 'SIGUSR1');
              inspectorOpen = true;
            }
            await collectGarbage('127.0.0.1', inspectorPort);
          },
        }),
    async snapshot() {
      const sums = await metrics();
      const out: Record<string, number | string> = {};
      for (const name of METRICS) if (sums.has(name)) out[name] = sums.get(name)!;
      out.geo_stream_messages = await streamMessages('geo');
      out.devices_stream_messages = await streamMessages('devices');
      return out;
    },
    stop,
  };
}
