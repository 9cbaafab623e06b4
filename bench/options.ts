import { parseArgs } from 'node:util';

/** Settings of a benchmark run; each is a CLI option `--name` or an environment variable `BENCH_NAME`. */
export interface BenchOptions {
  /** Brokers to run, in order: gateway, nats-mqtt, mosquitto. */
  servers: string[];
  /** Idle authenticated connections held for the memory figure (also timed for the connection rate). */
  connections: number;
  /** CONNECTs in progress at once. */
  connectConcurrency: number;
  /** Connections opened and closed before the baseline RSS reading (warms the server up). */
  warmupConnections: number;
  /** Least time to wait for the server's RSS to settle before each reading. */
  settleMs: number;
  /** QoS 1 publishing devices. */
  publishers: number;
  /** Unacknowledged QoS 1 messages per device (the gateway allows 100). */
  window: number;
  warmupS: number;
  /** Measured seconds of each ingest run. */
  durationS: number;
  /** Offered QoS 1 messages per second of the latency run. */
  rate: number;
  /** Devices receiving commands during the latency run (gateway only). */
  commandDevices: number;
  /** Pause on each command device between receiving a command and issuing the next. */
  commandIntervalMs: number;
  /** NATS (with JetStream) the gateway uses. */
  natsUrl: string;
  /** Results file, relative to bench/. */
  out: string;
  /** Directory for a V8 CPU profile of the gateway (none when empty). */
  gatewayCpuProfileDir: string;
  /** Gateway processes sharing the MQTT port (GATEWAY_WORKERS); CPU and memory are summed over them. */
  gatewayWorkers: number;
}

const DEFAULTS: BenchOptions = {
  servers: ['gateway', 'nats-mqtt', 'mosquitto'],
  connections: 10_000,
  connectConcurrency: 100,
  warmupConnections: 200,
  settleMs: 3_000,
  publishers: 50,
  window: 20,
  warmupS: 2,
  durationS: 10,
  rate: 5_000,
  commandDevices: 10,
  commandIntervalMs: 100,
  natsUrl: 'nats://127.0.0.1:4222',
  out: 'results/gateway.json',
  gatewayCpuProfileDir: '',
  gatewayWorkers: 1,
};

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envName = (name: string) => `BENCH_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/**
 * Options of any benchmark from `argv` (`--connect-concurrency 50`), then `BENCH_*` variables, then
 * `defaults`, whose value types decide how each is read (numbers at least `minimum`, lists comma-separated).
 */
export function parseBenchOptions<T extends object>(defaults: T, argv: string[], env: NodeJS.ProcessEnv, minimum: 'non-negative' | 'positive' = 'non-negative'): T {
  const names = Object.keys(defaults) as (keyof T & string)[];
  const { values } = parseArgs({ args: argv.filter((arg) => arg !== '--'), options: Object.fromEntries(names.map((name) => [kebab(name), { type: 'string' as const }])), strict: true });
  const options: Record<string, unknown> = {};
  for (const name of names) {
    const raw = (values as Record<string, string | undefined>)[kebab(name)] ?? env[envName(name)];
    const fallback = defaults[name];
    if (raw === undefined) options[name] = fallback;
    else if (Array.isArray(fallback)) options[name] = raw.split(',').map((item) => item.trim()).filter(Boolean);
    else if (typeof fallback === 'number') {
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0 || (minimum === 'positive' && value === 0)) throw new Error(`--${kebab(name)} (${envName(name)}) must be a ${minimum} number, got ${JSON.stringify(raw)}`);
      options[name] = value;
    } else options[name] = raw;
  }
  return options as T;
}

/** Help text listing every option of `defaults` and its default. */
export function benchUsage(defaults: object): string {
  return ['Options (CLI --name value, or environment BENCH_NAME):', ...Object.entries(defaults).map(([name, value]) => `  --${kebab(name).padEnd(24)} ${envName(name).padEnd(30)} default ${Array.isArray(value) ? value.join(',') : JSON.stringify(value)}`)].join('\n');
}

/** Options from `argv` (`--connections 5000`), then `BENCH_*` variables, then the defaults. */
export function parseOptions(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const parsed = parseBenchOptions(DEFAULTS, argv, env);
  const unknown = parsed.servers.filter((server) => !DEFAULTS.servers.includes(server));
  if (unknown.length > 0) throw new Error(`unknown server(s) ${unknown.join(', ')}: choose from ${DEFAULTS.servers.join(', ')}`);
  return parsed;
}

/** Help text listing every option and its default. */
export function usage(): string {
  return benchUsage(DEFAULTS);
}
