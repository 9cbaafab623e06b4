/**
 * MQTT gateway benchmark, side by side with nats-server's MQTT listener and Mosquitto, in one run:
 * memory per idle authenticated connection, connection rate, QoS 1 ingest, PUBACK latency at an offered
 * rate and command-to-device latency. Prints the figures and writes them to results/gateway.json.
 * A benchmark, not a test: it never fails on timing. See README.md.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseOptions, usage, type BenchOptions } from './options.js';
import { formatSummary, summarise } from './report.js';
import { runBroker, type BrokerResult } from './run-broker.js';
import { startGateway } from './servers/gateway.js';
import { startMosquitto } from './servers/mosquitto.js';
import { startNatsMqtt } from './servers/nats-mqtt.js';
import { killAllStarted, openFilesLimit } from './servers/process.js';
import type { BrokerUnderTest } from './servers/server.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, '..');

function start(key: string, options: BenchOptions): Promise<BrokerUnderTest> {
  switch (key) {
    case 'gateway':
      return startGateway({ repoRoot, natsUrl: options.natsUrl, workers: options.gatewayWorkers, ...(options.gatewayCpuProfileDir ? { cpuProfileDir: resolve(options.gatewayCpuProfileDir) } : {}) });
    case 'nats-mqtt':
      return startNatsMqtt();
    default:
      return startMosquitto();
  }
}

/** The commit the gateway ran from, and the files of the gateway and its packages changed since. */
async function gitState(): Promise<{ commit: string; uncommitted: string[] }> {
  const git = (...args: string[]) => promisify(execFile)('git', ['-C', repoRoot, ...args]).then((r) => r.stdout.trim(), () => '');
  const status = await git('status', '--porcelain', '--', 'services/mqtt-gateway', 'packages');
  return { commit: (await git('rev-parse', 'HEAD')) || 'unknown', uncommitted: status ? status.split('\n').map((line) => line.slice(3)) : [] };
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) return console.log(usage());
  const options = parseOptions();
  const startedAt = new Date();
  const results: Record<string, BrokerResult | { error: string }> = {};
  for (const key of options.servers) {
    let broker: BrokerUnderTest | undefined;
    try {
      broker = await start(key, options);
      results[key] = await runBroker(broker, options);
    } catch (error) {
      console.error(`${key}: ${(error as Error).stack ?? String(error)}`);
      results[key] = { error: (error as Error).message };
    } finally {
      await broker?.stop().catch((error: unknown) => console.error(`${key}: stop failed: ${(error as Error).message}`));
    }
  }
  const summary = summarise(results);
  console.log(`\n${formatSummary(summary, options.servers)}\n`);
  const out = resolve(benchDir, options.out);
  await mkdir(dirname(out), { recursive: true });
  const document = {
    benchmark: 'mqtt-gateway',
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    command: ['pnpm bench', ...process.argv.slice(2)].join(' '),
    git: await gitState(),
    environment: Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('BENCH_'))),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryMiB: Math.round(totalmem() / 2 ** 20), kernel: release(), node: process.version, openFilesLimit: openFilesLimit() },
    options,
    summary,
    results,
  };
  await writeFile(out, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`results written to ${out}`);
}

try {
  await main();
} finally {
  killAllStarted();
}
// Open handles (sockets the servers did not close) must not keep the run alive.
process.exit(0);
