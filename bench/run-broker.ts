import { loadavg } from 'node:os';
import { commandDevices, type CommandResult } from './load/commands.js';
import { closeConnections, openConnections, type ConnectBatch } from './load/connections.js';
import { runIngest, type IngestResult } from './load/ingest.js';
import { ConnectRefused, RawMqttClient } from './load/raw-client.js';
import { sleep } from './load/stats.js';
import type { BenchOptions } from './options.js';
import type { GatewayUnderTest } from './servers/gateway.js';
import type { NatsMqttUnderTest } from './servers/nats-mqtt.js';
import { cpuMeter, openFilesLimit, rssKiB } from './servers/process.js';
import { TENANT, type BrokerUnderTest } from './servers/server.js';

/** CPU used while a figure was measured, in % of one core (the machine has few: see the results' machine). */
export interface CpuUse {
  /** The server process (for the gateway: not the NATS server it stores into). */
  serverCpuPercent: number;
  /** The benchmark's own process (load generator). */
  benchCpuPercent: number;
  /** Gateway only: the NATS server it stores into (shared with anything else using it). */
  helperCpuPercent?: number;
  /** Every other process of the machine (other work competing for the cores). */
  otherCpuPercent: number;
  /** 1-minute load average of the machine when the figure was taken. */
  loadAverage: number;
}

/** An ingest run with the CPU it used. */
export type MeteredIngest = IngestResult & Partial<CpuUse>;

/** Memory and connection-rate figures of one broker. */
export interface ConnectionFigures extends Omit<ConnectBatch, 'clients'>, CpuUse {
  requested: number;
  opened: number;
  concurrency: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  /** (RSS after − RSS before) / opened connections. */
  perConnectionKiB: number | null;
  /** Gateway only: the same for the V8 heap in use (garbage not yet collected included). */
  heapUsedPerConnectionKiB: number | null;
  /** Gateway only: RSS before and after, each read after a forced full garbage collection. */
  rssAfterGcBeforeKiB: number | null;
  rssAfterGcAfterKiB: number | null;
  /** (RSS after GC, with the connections − RSS after GC, without) / opened connections. */
  perConnectionAfterGcKiB: number | null;
  /** Gateway only: V8 heap in use per connection, after forced full garbage collections (live objects only). */
  liveHeapPerConnectionKiB: number | null;
  serverBefore: Record<string, number | string>;
  serverAfter: Record<string, number | string>;
}

/** Everything measured on one broker. */
export interface BrokerResult {
  description: string;
  notes: string[];
  /** A CONNECT with a wrong password was refused (authentication is really on). */
  refusesWrongPassword: boolean;
  connections: ConnectionFigures;
  /** Closed loop: as many QoS 1 messages as PUBACKs allow. */
  ingestMax: MeteredIngest;
  /** nats-server only: the same with the positions also captured by a file stream. */
  ingestMaxCaptured?: MeteredIngest;
  /** Open loop at the offered rate (with commands flowing, for the gateway). */
  ingestAtRate: MeteredIngest;
  /** Gateway only: command issue → device receive under the offered load. */
  commands?: CommandResult;
  /** Gateway only: the same with no other load, for comparison. */
  commandsIdle?: CommandResult;
  serverAtEnd: Record<string, number | string>;
}

const log = (broker: BrokerUnderTest, text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${broker.key}: ${text}`);

/** The position payload of message `seq`: the datetime advances, so no two messages of a device are equal. */
export const positionPayload = (seq: number): Buffer => Buffer.from(`{"latitude":48.1,"longitude":-1.6,"datetime":${1_700_000_000 + seq}}`);

/** Waits at least `minMs`, then until the RSS of `pid` moves less than 1 % in a second (at most 30 s). */
async function settledRss(pid: number, minMs: number): Promise<number> {
  await sleep(minMs);
  let previous = rssKiB(pid);
  for (let i = 0; i < 30; i++) {
    await sleep(1_000);
    const current = rssKiB(pid);
    if (Math.abs(current - previous) < previous * 0.01) return current;
    previous = current;
  }
  return previous;
}

/** Starts metering the CPU of the server, its helper and the benchmark; the function returned reads them. */
function startMeters(broker: BrokerUnderTest): () => CpuUse {
  const loadAverage = loadavg()[0]!;
  const server = cpuMeter(broker.pid);
  const bench = cpuMeter(process.pid);
  const machine = cpuMeter('machine');
  let helper: (() => number) | undefined;
  try {
    helper = broker.helperPid === undefined ? undefined : cpuMeter(broker.helperPid);
  } catch {
    helper = undefined; // not readable: left out
  }
  const helperPercent = () => {
    try {
      return helper ? { helperCpuPercent: helper() } : {};
    } catch {
      return {};
    }
  };
  return () => {
    const use = { serverCpuPercent: server(), benchCpuPercent: bench(), ...helperPercent() };
    const ours = use.serverCpuPercent + use.benchCpuPercent + (use.helperCpuPercent ?? 0);
    return { ...use, otherCpuPercent: Math.max(0, machine() - ours), loadAverage: Math.round(loadAverage * 100) / 100 };
  };
}

/** Waits at least `minMs`, then until the server uses under 20 % of a core for a second (at most 30 s). */
async function quiet(broker: BrokerUnderTest, minMs: number): Promise<void> {
  await sleep(minMs);
  for (let i = 0; i < 30; i++) {
    const meter = cpuMeter(broker.pid);
    await sleep(1_000);
    if (meter() < 20) return;
  }
}

async function refusesWrongPassword(broker: BrokerUnderTest): Promise<boolean> {
  try {
    const client = await RawMqttClient.connect({ host: broker.host, port: broker.port, clientId: 'wrong-password', username: broker.credentials('wrong-password').username, password: 'not-the-password', timeoutMs: 5_000 });
    client.destroy();
    return false;
  } catch (error) {
    return error instanceof ConnectRefused;
  }
}

async function measureConnections(broker: BrokerUnderTest, options: BenchOptions): Promise<ConnectionFigures> {
  const connectOptions = (prefix: string) => (index: number) => {
    const serial = `${prefix}-${index}`;
    return { host: broker.host, port: broker.port, clientId: serial, ...broker.credentials(serial), keepaliveS: 1_200, timeoutMs: 30_000 };
  };
  const warm = await openConnections({ count: options.warmupConnections, concurrency: options.connectConcurrency, connectOptions: connectOptions('warm'), maxFailures: 50, deadlineMs: 60_000 });
  await closeConnections(warm.clients);
  await quiet(broker, 500);
  // The benchmark holds one socket per connection: stay clear of its own open-files limit.
  const requested = Math.min(options.connections, openFilesLimit() - 1_000);
  if (requested < options.connections) log(broker, `limiting connections to ${requested} (open-files limit ${openFilesLimit()})`);
  const rssBeforeKiB = await settledRss(broker.pid, options.settleMs);
  const serverBefore = await broker.snapshot();
  const afterGc = async () => {
    if (!broker.collectGarbage) return undefined;
    await broker.collectGarbage();
    await sleep(1_000);
    const rss = rssKiB(broker.pid);
    return { rss, heap: (await broker.snapshot()).nodejs_heap_size_used_bytes };
  };
  const gcBefore = await afterGc();
  log(broker, `RSS ${rssBeforeKiB} KiB; opening ${requested} connections, ${options.connectConcurrency} at a time`);
  const meters = startMeters(broker);
  const batch = await openConnections({ count: requested, concurrency: options.connectConcurrency, connectOptions: connectOptions('idle'), maxFailures: Math.max(50, requested / 100), deadlineMs: 180_000 });
  const cpu = meters();
  const rssAfterKiB = await settledRss(broker.pid, options.settleMs);
  const serverAfter = await broker.snapshot();
  const gcAfter = await afterGc();
  const { clients, ...figures } = batch;
  const opened = clients.length;
  const [heapBefore, heapAfter] = [serverBefore.nodejs_heap_size_used_bytes, serverAfter.nodejs_heap_size_used_bytes];
  /** (after − before) / divisor / opened, to 2 decimals; null without both figures. */
  const perConnection = (before: unknown, after: unknown, divisor: number) =>
    opened > 0 && typeof before === 'number' && typeof after === 'number' ? Math.round(((after - before) / divisor / opened) * 100) / 100 : null;
  const stillOpen = clients.filter((client) => !client.closed).length;
  log(broker, `${opened} opened (${stillOpen} still open) in ${figures.elapsedMs} ms = ${figures.ratePerSecond}/s [by tenth: ${figures.ratePerTenth.join(' ')}] (CPU: server ${cpu.serverCpuPercent} %${cpu.helperCpuPercent === undefined ? '' : `, its NATS ${cpu.helperCpuPercent} %`}, benchmark ${cpu.benchCpuPercent} %, other processes ${cpu.otherCpuPercent} %); RSS ${rssAfterKiB} KiB${gcAfter ? ` (after a full GC: ${gcBefore?.rss} → ${gcAfter.rss} KiB)` : ''}`);
  if (stillOpen < opened) figures.errors['closed by the server while idle'] = opened - stillOpen;
  await closeConnections(clients);
  return {
    requested,
    opened,
    concurrency: options.connectConcurrency,
    ...figures,
    ...cpu,
    rssBeforeKiB,
    rssAfterKiB,
    perConnectionKiB: perConnection(rssBeforeKiB, rssAfterKiB, 1),
    heapUsedPerConnectionKiB: perConnection(heapBefore, heapAfter, 1024),
    rssAfterGcBeforeKiB: gcBefore?.rss ?? null,
    rssAfterGcAfterKiB: gcAfter?.rss ?? null,
    perConnectionAfterGcKiB: perConnection(gcBefore?.rss, gcAfter?.rss, 1),
    liveHeapPerConnectionKiB: perConnection(gcBefore?.heap, gcAfter?.heap, 1024),
    serverBefore,
    serverAfter,
  };
}

async function ingest(broker: BrokerUnderTest, options: BenchOptions, prefix: string, rate?: number): Promise<MeteredIngest> {
  let meters: (() => CpuUse) | undefined;
  let cpu: CpuUse | undefined;
  const result = await runIngest({
    onWindow(phase) {
      if (phase === 'start') meters = startMeters(broker);
      else cpu = meters?.();
    },
    publishers: options.publishers,
    window: options.window,
    warmupMs: options.warmupS * 1_000,
    durationMs: options.durationS * 1_000,
    ...(rate === undefined ? {} : { rate }),
    device(index) {
      const serial = `${prefix}-${index}`;
      return { connect: { host: broker.host, port: broker.port, clientId: serial, ...broker.credentials(serial), keepaliveS: 600 }, topic: broker.positionTopic(serial) };
    },
    payload: (_index, seq) => positionPayload(seq),
  });
  return { ...result, ...cpu };
}

const describeIngest = (result: MeteredIngest) =>
  `${result.ackRate} PUBACK/s (sent ${result.sentRate}/s), latency p50 ${result.latency.p50} p99 ${result.latency.p99} max ${result.latency.max} ms; CPU server ${result.serverCpuPercent} %${result.helperCpuPercent === undefined ? '' : `, its NATS ${result.helperCpuPercent} %`}, benchmark ${result.benchCpuPercent} %, other processes ${result.otherCpuPercent} %` +
  (result.unacknowledged || result.disconnectedPublishers ? `; ${result.unacknowledged} unacknowledged, ${result.disconnectedPublishers} publishers disconnected` : '');

/** Runs every scenario against `broker` (already started). */
export async function runBroker(broker: BrokerUnderTest, options: BenchOptions): Promise<BrokerResult> {
  log(broker, broker.description);
  const refuses = await refusesWrongPassword(broker);
  log(broker, `wrong password ${refuses ? 'refused' : 'ACCEPTED'}`);
  const connections = await measureConnections(broker, options);
  await quiet(broker, options.settleMs);

  log(broker, `QoS 1 ingest, closed loop: ${options.publishers} devices × ${options.window} in flight, ${options.durationS} s`);
  const ingestMax = await ingest(broker, options, 'max');
  log(broker, describeIngest(ingestMax));
  let ingestMaxCaptured: MeteredIngest | undefined;
  if (broker.key === 'nats-mqtt') {
    await (broker as NatsMqttUnderTest).captureToStream();
    await quiet(broker, 1_000);
    ingestMaxCaptured = await ingest(broker, options, 'cap');
    log(broker, `captured to a stream: ${describeIngest(ingestMaxCaptured)}`);
  }

  await quiet(broker, 1_000);
  log(broker, `QoS 1 at an offered ${options.rate} msg/s for ${options.durationS} s`);
  let ingestAtRate: MeteredIngest;
  let commands: CommandResult | undefined;
  let commandsIdle: CommandResult | undefined;
  if (broker.key === 'gateway' && options.commandDevices > 0) {
    const gateway = broker as GatewayUnderTest;
    const devices = await commandDevices({
      host: broker.host,
      port: broker.port,
      bus: gateway.bus,
      tenant: TENANT,
      serials: Array.from({ length: options.commandDevices }, (_, i) => `cmd-${i}`),
      credentials: (serial) => broker.credentials(serial),
      intervalMs: options.commandIntervalMs,
      timeoutMs: 5_000,
    });
    try {
      const warmed = await devices.warmUp();
      log(broker, `${warmed}/${options.commandDevices} command devices received their warm-up command`);
      commandsIdle = await devices.run(5_000);
      log(broker, `commands without load: ${commandsIdle.received}/${commandsIdle.issued} received, latency p50 ${commandsIdle.latency.p50} p99 ${commandsIdle.latency.p99} max ${commandsIdle.latency.max} ms`);
      [ingestAtRate, commands] = await Promise.all([ingest(broker, options, 'rate', options.rate), sleep(options.warmupS * 1_000 + 200).then(() => devices.run(options.durationS * 1_000))]);
      log(broker, `commands: ${commands.received}/${commands.issued} received, latency p50 ${commands.latency.p50} p99 ${commands.latency.p99} max ${commands.latency.max} ms`);
    } finally {
      await devices.close();
    }
  } else {
    ingestAtRate = await ingest(broker, options, 'rate', options.rate);
  }
  log(broker, describeIngest(ingestAtRate));
  await sleep(1_000);
  return {
    description: broker.description,
    notes: broker.notes,
    refusesWrongPassword: refuses,
    connections,
    ingestMax,
    ...(ingestMaxCaptured ? { ingestMaxCaptured } : {}),
    ingestAtRate,
    ...(commands ? { commands } : {}),
    ...(commandsIdle ? { commandsIdle } : {}),
    serverAtEnd: await broker.snapshot(),
  };
}
