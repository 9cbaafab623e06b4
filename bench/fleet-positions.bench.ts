/**
 * Fleet positions (issue 4): N simulated Flyve agents (default 10,000) each report a position every 2 s
 * for 60 s through the mqtt-gateway (QoS 1); the geolocation service projects them into PostgreSQL.
 * Measures the read-model latency (PUBLISH written → row visible in `position_history`), the PUBACK
 * latency, and the CPU and memory of the gateway and the geolocation service (each its own process).
 * Prints the figures and writes results/fleet-positions.json. A benchmark, not a test: it never fails
 * on timing. See README.md.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDb } from '@flotilla/db';
import type { Kysely } from 'kysely';
import { Fleet, type FleetConnectFigures, type FleetRunFigures } from './load/fleet.js';
import { summarise } from './load/percentiles.js';
import { benchUsage, parseBenchOptions } from './options.js';
import { PositionHistorySampler, type SampledRow } from './load/position-history-sampler.js';
import { sleep, type LatencySummary } from './load/stats.js';
import { startGateway, type GatewayUnderTest } from './servers/gateway.js';
import { startGeolocationService, type GeolocationUnderTest } from './servers/geolocation.js';
import { cpuMeter, killAllStarted, listenerPid, openFilesLimit } from './servers/process.js';
import { peakRssKiB, ResourceMonitor, type MeteredProcess, type PhaseUse, type ResourceSample } from './servers/resources.js';
import { positionTopic } from './servers/server.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, '..');

/** Settings of a run; each is a CLI option `--name` or an environment variable `BENCH_NAME`. */
interface FleetBenchOptions {
  /** Simulated agents (capped at the open-files soft limit − 1000). */
  agents: number;
  /** Seconds between two reports of one agent. */
  intervalS: number;
  /** Seconds the agents report. */
  durationS: number;
  connectConcurrency: number;
  /** Pause between two polls of `position_history`. */
  pollMs: number;
  /** Longest wait for the read model to catch up after the last report. */
  drainS: number;
  natsUrl: string;
  databaseUrl: string;
  /** Results file, relative to bench/. */
  out: string;
}

const DEFAULTS: FleetBenchOptions = {
  agents: 10_000,
  intervalS: 2,
  durationS: 60,
  connectConcurrency: 100,
  pollMs: 20,
  drainS: 180,
  natsUrl: 'nats://127.0.0.1:4222',
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/flotilla',
  out: 'results/fleet-positions.json',
};

const parseOptions = (): FleetBenchOptions => parseBenchOptions(DEFAULTS, process.argv.slice(2), process.env, 'positive');
const usage = () => benchUsage(DEFAULTS);

const SERIAL_PREFIX = 'flyve-';
const log = (text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
const fmt = (value: number | null | undefined, digits = 1) => (value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toLocaleString('en-US', { maximumFractionDigits: digits }));
const latencyText = (s: LatencySummary) => `p50 ${fmt(s.p50)} / p90 ${fmt(s.p90)} / p99 ${fmt(s.p99)} / max ${fmt(s.max)} ms (n = ${fmt(s.count, 0)})`;

/** The commit the services ran from, and their files changed since. */
async function gitState(): Promise<{ commit: string; uncommitted: string[] }> {
  const git = (...args: string[]) => promisify(execFile)('git', ['-C', repoRoot, ...args]).then((r) => r.stdout.trim(), () => '');
  const status = await git('status', '--porcelain', '--', 'services/mqtt-gateway', 'services/geolocation', 'packages');
  return { commit: (await git('rev-parse', 'HEAD')) || 'unknown', uncommitted: status ? status.split('\n').map((line) => line.slice(3)) : [] };
}

/** Waits at least `minMs`, then until `pid` uses under 20 % of a core for a second (at most 30 s). */
async function quiet(pid: number, minMs: number): Promise<void> {
  await sleep(minMs);
  for (let i = 0; i < 30; i++) {
    const meter = cpuMeter(pid);
    await sleep(1_000);
    if (meter() < 20) return;
  }
}

/** Read-model figures: what the sampler saw, matched to what the fleet sent. */
interface ReadModelFigures {
  rowsSeen: number;
  /** Rows matched to a message sent by this run (device and datetime). */
  matched: number;
  /** Rows not matching any message sent, and rows seen twice for one message (both should be 0). */
  unmatched: number;
  duplicates: number;
  /** Messages acknowledged by the gateway whose row was never seen before the end. */
  ackedNotSeen: number;
  /** PUBLISH written → row visible (start of the poll that returned it). */
  latency: LatencySummary;
  /** PUBLISH written → the event's `received_at` (`occurredAt`, stamped by the gateway as it builds the event, before JetStream stores it; wall clock, ms resolution). */
  toEvent: LatencySummary;
  /** The event's `received_at` → row visible (JetStream store, delivery to the projection, its transaction, the poll). */
  eventToRow: LatencySummary;
  /** The same latency by time of the PUBLISH, in slices of the run. */
  bySlice: { fromS: number; toS: number; latency: LatencySummary }[];
  /** Rows that became visible per second while the agents reported (the projection's throughput). */
  rowsPerSecondDuringRun: number;
  /** Largest number of messages sent and not yet visible, at the 1 s samples. */
  maxBacklog: number;
  /** Time from the last report sent until every acknowledged one was visible (null: not within the drain). */
  catchUpMs: number | null;
  polls: number;
  pollFailures: number;
  pollQuery: LatencySummary;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) return console.log(usage());
  const options = parseOptions();
  const startedAt = new Date();
  const agents = Math.min(options.agents, openFilesLimit() - 1_000);
  if (agents < options.agents) log(`limiting agents to ${agents} (open-files soft limit ${openFilesLimit()})`);
  const intervalMs = options.intervalS * 1_000;
  const durationMs = options.durationS * 1_000;
  const stepS = Math.max(1, Math.round(options.intervalS));
  const baseSecond = Math.floor(Date.now() / 1000);

  let gateway: GatewayUnderTest | undefined;
  let geolocation: GeolocationUnderTest | undefined;
  let db: Kysely<unknown> | undefined;
  let monitor: ResourceMonitor | undefined;
  let fleet: Fleet | undefined;
  try {
    log(`starting the mqtt-gateway (NATS ${options.natsUrl})`);
    gateway = await startGateway({ repoRoot, natsUrl: options.natsUrl });
    log(`gateway pid ${gateway.pid}, namespace ${gateway.namespace}; starting the geolocation service`);
    geolocation = await startGeolocationService({ repoRoot, natsUrl: options.natsUrl, databaseUrl: options.databaseUrl, namespace: gateway.namespace });
    log(`geolocation pid ${geolocation.pid}, schema ${geolocation.schema}`);
    db = createDb<unknown>({ connectionString: options.databaseUrl, schema: geolocation.schema, applicationName: 'flotilla-bench-sampler', poolSize: 2 });

    const gw = gateway;
    fleet = new Fleet({
      agents,
      intervalMs,
      durationMs,
      connectConcurrency: options.connectConcurrency,
      connect: (i) => ({ host: gw.host, port: gw.port, clientId: `${SERIAL_PREFIX}${i}`, ...gw.credentials(`${SERIAL_PREFIX}${i}`), keepaliveS: 1_200 }),
      topic: (i) => positionTopic(`${SERIAL_PREFIX}${i}`),
      // Every report differs (datetime advances, the position drifts): the gateway de-duplicates equal payloads.
      payload: (i, k) => Buffer.from(`{"latitude":${(48.1 + (i % 997) * 1e-4 + k * 1e-5).toFixed(6)},"longitude":${(-1.6 - (i % 991) * 1e-4 - k * 1e-5).toFixed(6)},"datetime":${baseSecond + k * stepS}}`),
    });
    const f = fleet;

    // Read-model latency per message slot, filled by the sampler.
    const seenMs = new Float64Array(f.sentMs.length).fill(Number.NaN);
    const receivedWallMs = new Float64Array(f.sentMs.length).fill(Number.NaN);
    let matched = 0;
    let unmatched = 0;
    let duplicates = 0;
    const sampler = new PositionHistorySampler({
      db,
      pollMs: options.pollMs,
      clock: () => f.clock(),
      onRow(row: SampledRow, seenAt: number) {
        const index = row.device_id.startsWith(SERIAL_PREFIX) ? Number(row.device_id.slice(SERIAL_PREFIX.length)) : Number.NaN;
        const k = Math.round((row.reported_s - baseSecond) / stepS);
        if (!Number.isInteger(index) || index < 0 || index >= agents || k < 0 || k >= f.perAgent) return void unmatched++;
        const slot = index * f.perAgent + k;
        if (!Number.isNaN(seenMs[slot])) return void duplicates++;
        seenMs[slot] = seenAt;
        receivedWallMs[slot] = row.received_ms;
        matched++;
      },
    });

    const natsPid = gateway.helperPid;
    const postgresPid = await listenerPid(new URL(options.databaseUrl).port ? Number(new URL(options.databaseUrl).port) : 5432);
    const processes: MeteredProcess[] = [
      { name: 'gateway', pid: gateway.pid, tree: true, rss: true },
      { name: 'geolocation', pid: geolocation.pid, tree: true, rss: true },
      ...(natsPid === undefined ? [] : [{ name: 'nats', pid: natsPid, tree: false, rss: false }]),
      ...(postgresPid === undefined ? [] : [{ name: 'postgres', pid: postgresPid, tree: true, rss: false }]),
      { name: 'bench', pid: 'self', tree: false, rss: true },
    ];
    monitor = new ResourceMonitor(processes, () => ({ sent: f.sent, acked: f.acked, visible: matched, backlog: f.sent - matched }));
    monitor.start(1_000);
    const loadAverageAtStart = Math.round(loadavg()[0]! * 100) / 100;

    await quiet(gateway.pid, 1_000);
    monitor.mark('ready');
    log(`connecting ${agents} agents, ${options.connectConcurrency} at a time`);
    const connect: FleetConnectFigures = await fleet.connect();
    monitor.mark('connected');
    log(`${connect.connected}/${agents} connected in ${connect.elapsedMs} ms = ${connect.ratePerSecond}/s (${connect.failed} failed, ${connect.retries} retried)`);
    await quiet(gateway.pid, 2_000);
    const gatewayBefore = await gateway.snapshot();

    log(`reporting: every agent every ${options.intervalS} s for ${options.durationS} s = ${fmt(agents / options.intervalS, 0)} msg/s offered`);
    monitor.mark('run-start');
    await fleet.run(() => sampler.start());
    const lastSentAt = fleet.clock();
    monitor.mark('run-end');
    const visibleAtRunEnd = matched;
    log(`all ${fleet.sent} sent; ${fleet.acked} acknowledged, ${matched} visible; waiting for the read model (at most ${options.drainS} s)`);

    // Catch-up: until every acknowledged message is visible, the drain time has passed, or nothing moved for 20 s.
    let catchUpMs: number | null = null;
    let lastProgress = Date.now();
    let lastCounts = '';
    const drainUntil = Date.now() + options.drainS * 1_000;
    for (;;) {
      if (fleet.acked === fleet.sent && matched >= fleet.acked) {
        catchUpMs = Math.round(fleet.clock() - lastSentAt);
        break;
      }
      const counts = `${fleet.acked}/${matched}`;
      if (counts !== lastCounts) [lastCounts, lastProgress] = [counts, Date.now()];
      if (Date.now() > drainUntil || Date.now() - lastProgress > 20_000) break;
      await sleep(50);
    }
    await sampler.stop();
    monitor.mark('drained');
    log(catchUpMs === null ? `read model did not catch up: ${matched} of ${fleet.acked} acknowledged visible` : `read model caught up ${fmt(catchUpMs / 1000)} s after the last report`);

    const run: FleetRunFigures = fleet.figures();
    const gatewayAfter = await gateway.snapshot();
    const geoMetrics = await geolocation.metrics().catch(() => new Map<string, number>());
    const peakRss = { gatewayKiB: peakRssKiB(gateway.pid), geolocationKiB: peakRssKiB(geolocation.pid) };
    monitor.stop();

    // Read-model latencies.
    const latency = new Float64Array(seenMs.length);
    const toEvent = new Float64Array(seenMs.length);
    const eventToRow = new Float64Array(seenMs.length);
    let ackedNotSeen = 0;
    for (let slot = 0; slot < seenMs.length; slot++) {
      latency[slot] = seenMs[slot]! - fleet.sentMs[slot]!;
      toEvent[slot] = receivedWallMs[slot]! - (fleet.originWallMs + fleet.sentMs[slot]!);
      eventToRow[slot] = fleet.originWallMs + seenMs[slot]! - receivedWallMs[slot]!;
      if (!Number.isNaN(fleet.ackMs[slot]) && Number.isNaN(seenMs[slot])) ackedNotSeen++;
    }
    const sliceS = Math.max(options.intervalS, Math.round(options.durationS / 6));
    /** `values` (one per message slot) summarised by time of the PUBLISH, in slices of the run. */
    const bySliceOf = (values: Float64Array) => {
      const slices: { fromS: number; toS: number; latency: LatencySummary }[] = [];
      for (let fromS = 0; fromS < options.durationS; fromS += sliceS) {
        const toS = Math.min(options.durationS, fromS + sliceS);
        const slice: number[] = [];
        for (let slot = 0; slot < values.length; slot++) {
          const sent = f.sentMs[slot]!;
          if (sent >= fromS * 1000 && sent < toS * 1000 && Number.isFinite(values[slot])) slice.push(values[slot]!);
        }
        slices.push({ fromS, toS, latency: summarise(slice) });
      }
      return slices;
    };
    const bySlice = bySliceOf(latency);
    const puback = new Float64Array(seenMs.length);
    for (let slot = 0; slot < puback.length; slot++) puback[slot] = fleet.ackMs[slot]! - fleet.sentMs[slot]!;
    const pubackBySlice = bySliceOf(puback);
    const samples: ResourceSample[] = monitor.samples;
    const readModel: ReadModelFigures = {
      rowsSeen: sampler.rows,
      matched,
      unmatched,
      duplicates,
      ackedNotSeen,
      latency: summarise(latency),
      toEvent: summarise(toEvent),
      eventToRow: summarise(eventToRow),
      bySlice,
      rowsPerSecondDuringRun: Math.round(visibleAtRunEnd / (lastSentAt / 1000)),
      maxBacklog: Math.max(0, ...samples.map((sample) => sample.progress.backlog ?? 0)),
      catchUpMs,
      polls: sampler.polls,
      pollFailures: sampler.failures,
      pollQuery: sampler.queryLatency(),
    };
    const resources: { connect: PhaseUse; run: PhaseUse; drain: PhaseUse } = { connect: monitor.phase('ready', 'connected'), run: monitor.phase('run-start', 'run-end'), drain: monitor.phase('run-end', 'drained') };
    // Other work on the machine competes for its few cores: flag a run where it used a fifth of a core or more.
    const otherCpu = Math.max(resources.connect.cpuPercent.other ?? 0, resources.run.cpuPercent.other ?? 0);
    const skewedByOtherProcesses = otherCpu >= 20;
    const metric = (map: Map<string, number>, name: string) => map.get(name) ?? null;
    const projection = {
      batches: metric(geoMetrics, 'flotilla_projection_batch_seconds_count'),
      secondsInBatches: metric(geoMetrics, 'flotilla_projection_batch_seconds_sum'),
      messages: metric(geoMetrics, 'flotilla_projection_messages_total'),
      errors: metric(geoMetrics, 'flotilla_projection_errors_total'),
      eventLoopLagP99Seconds: metric(geoMetrics, 'nodejs_eventloop_lag_p99_seconds'),
    };

    const summary = {
      skewedByOtherProcesses,
      agents: connect.connected,
      offeredRate: run.offeredRate,
      sent: run.sent,
      acked: run.acked,
      visible: matched,
      readModelLatencyMs: readModel.latency,
      pubackLatencyMs: run.pubackLatency,
      projectionRowsPerSecond: readModel.rowsPerSecondDuringRun,
      catchUpAfterLastReportMs: catchUpMs,
      cpuPercentDuringRun: resources.run.cpuPercent,
      rssKiB: {
        gateway: { start: resources.connect.rssKiB.gateway?.start, afterConnect: resources.connect.rssKiB.gateway?.end, end: resources.run.rssKiB.gateway?.end, peakSampled: Math.max(resources.connect.rssKiB.gateway?.peak ?? 0, resources.run.rssKiB.gateway?.peak ?? 0, resources.drain.rssKiB.gateway?.peak ?? 0), peakVmHWM: peakRss.gatewayKiB },
        geolocation: { start: resources.connect.rssKiB.geolocation?.start, afterConnect: resources.connect.rssKiB.geolocation?.end, end: resources.run.rssKiB.geolocation?.end, peakSampled: Math.max(resources.connect.rssKiB.geolocation?.peak ?? 0, resources.run.rssKiB.geolocation?.peak ?? 0, resources.drain.rssKiB.geolocation?.peak ?? 0), peakVmHWM: peakRss.geolocationKiB },
      },
    };

    const cpuText = (use: PhaseUse) => Object.entries(use.cpuPercent).map(([name, value]) => `${name} ${fmt(value, 0)} %`).join(', ');
    const rssText = (name: 'gateway' | 'geolocation') => {
      const r = summary.rssKiB[name];
      return `${name} ${fmt((r.start ?? 0) / 1024)} → ${fmt((r.afterConnect ?? 0) / 1024)} (connected) → ${fmt((r.end ?? 0) / 1024)} MiB (end of run), peak ${fmt(r.peakSampled / 1024)} MiB sampled, VmHWM ${fmt((r.peakVmHWM ?? 0) / 1024)} MiB`;
    };
    console.log(
      [
        '',
        `Fleet positions: ${fmt(connect.connected, 0)} agents × 1 report / ${options.intervalS} s for ${options.durationS} s (${fmt(run.offeredRate, 0)} msg/s offered, QoS 1)`,
        `  connect           ${fmt(connect.ratePerSecond, 0)} CONNACK/s, p99 ${fmt(connect.connectLatency.p99)} ms; ${connect.failed} failed`,
        `  sent / acked      ${fmt(run.sent, 0)} / ${fmt(run.acked, 0)} (skipped ${run.skipped}, disconnected ${run.disconnected}); send lag p99 ${fmt(run.sendLag.p99)} ms`,
        `  PUBACK            ${latencyText(run.pubackLatency)}`,
        `    by slice        ${pubackBySlice.map((x) => `${x.fromS}–${x.toS} s: p50 ${fmt(x.latency.p50, 0)} p99 ${fmt(x.latency.p99, 0)}`).join('; ')}`,
        `  read model        ${latencyText(readModel.latency)}`,
        `    → event         ${latencyText(readModel.toEvent)} (PUBLISH → the event's received_at, wall clock, ms)`,
        `    event → row     ${latencyText(readModel.eventToRow)} (JetStream store + projection + poll)`,
        `    by slice        ${bySlice.map((s) => `${s.fromS}–${s.toS} s: p50 ${fmt(s.latency.p50, 0)} p99 ${fmt(s.latency.p99, 0)}`).join('; ')}`,
        `  visible           ${fmt(matched, 0)} of ${fmt(run.acked, 0)} acked (${ackedNotSeen} acked never seen, ${unmatched} unmatched, ${duplicates} duplicates); ${fmt(readModel.rowsPerSecondDuringRun, 0)} rows/s during the run; max backlog ${fmt(readModel.maxBacklog, 0)}; caught up ${catchUpMs === null ? 'not within the drain' : `${fmt(catchUpMs / 1000)} s after the last report`}`,
        `  projection        ${fmt(projection.batches, 0)} batches, ${fmt(projection.secondsInBatches)} s inside them, ${fmt(projection.messages, 0)} messages`,
        `  CPU (% of a core) connect: ${cpuText(resources.connect)}`,
        `                    run:     ${cpuText(resources.run)}`,
        `                    drain:   ${cpuText(resources.drain)}`,
        `  RSS               ${rssText('gateway')}`,
        `                    ${rssText('geolocation')}`,
        `  (load average at start ${loadAverageAtStart}; ${cpus().length} CPUs)`,
        ...(skewedByOtherProcesses ? [`  WARNING: other processes used up to ${fmt(otherCpu, 0)} % of a core during the run: the figures are skewed`] : []),
        '',
      ].join('\n'),
    );

    const out = resolve(benchDir, options.out);
    await mkdir(dirname(out), { recursive: true });
    const document = {
      benchmark: 'fleet-positions',
      startedAt: startedAt.toISOString(),
      durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
      command: ['pnpm --filter @flotilla/bench bench:fleet', ...process.argv.slice(2)].join(' '),
      git: await gitState(),
      environment: Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('BENCH_'))),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryMiB: Math.round(totalmem() / 2 ** 20), kernel: release(), node: process.version, openFilesLimit: openFilesLimit(), loadAverageAtStart },
      options: { ...options, agents },
      setup: {
        gateway: `${gateway.description}, namespace ${gateway.namespace}; ${gateway.notes.join('; ')}`,
        geolocation: `services/geolocation/src/main.ts (one process), schema ${geolocation.schema} in ${options.databaseUrl.replace(/\/\/[^@]*@/, '//')}`,
        topic: `${positionTopic(`${SERIAL_PREFIX}<i>`)}, payload {"latitude":…,"longitude":…,"datetime":<advancing by ${stepS} per report>}`,
        readModelLatency: `PUBLISH written → start of the first poll of position_history (every ${options.pollMs} ms, seq > last seen) that returned the row`,
        cpu: 'from /proc over each phase, % of one core; gateway and geolocation with their child processes; nats: the machine\'s nats-server (shared); postgres: the whole PostgreSQL server with its backends (shared); bench: this process alone; other: the rest of the machine',
      },
      summary,
      connect,
      run: { ...run, pubackBySlice },
      readModel,
      projection,
      resources,
      peakRss,
      gateway: { before: gatewayBefore, after: gatewayAfter },
      timeline: samples,
    };
    await writeFile(out, `${JSON.stringify(document, null, 2)}\n`);
    console.log(`results written to ${out}`);
  } finally {
    monitor?.stop();
    await fleet?.close().catch(() => undefined);
    await db?.destroy().catch(() => undefined);
    // The geolocation service first: it consumes from the namespace the gateway's stop deletes.
    await geolocation?.stop().catch((error: unknown) => console.error(`geolocation: stop failed: ${(error as Error).message}`));
    await gateway?.stop().catch((error: unknown) => console.error(`gateway: stop failed: ${(error as Error).message}`));
  }
}

try {
  await main();
} catch (error) {
  console.error((error as Error).stack ?? String(error));
  process.exitCode = 1;
} finally {
  killAllStarted();
}
// Open handles (sockets the servers did not close) must not keep the run alive.
process.exit(process.exitCode ?? 0);
