import { setImmediate } from 'node:timers/promises';
import { ConnectRefused, RawMqttClient, type RawConnectOptions } from './raw-client.js';
import { elapsedMs, Latencies, now, type LatencySummary } from './stats.js';

/** How to open a batch of connections. */
export interface ConnectBatchOptions {
  count: number;
  /** CONNECTs in progress at once. */
  concurrency: number;
  /** Options of the `index`-th connection (its own client id and credentials). */
  connectOptions(index: number): RawConnectOptions;
  /** The batch stops opening connections after this many failures… */
  maxFailures: number;
  /** …or after this long. */
  deadlineMs: number;
}

/** Outcome of {@link openConnections}. */
export interface ConnectBatch {
  clients: RawMqttClient[];
  attempted: number;
  failed: number;
  /** Failure reasons and how often each happened. */
  errors: Record<string, number>;
  elapsedMs: number;
  /** Connections accepted with CONNACK per second over the batch. */
  ratePerSecond: number;
  /** The same for each tenth of the batch in CONNACK order (shows a rate that falls as connections pile up). */
  ratePerTenth: number[];
  /** Time from opening the socket to the CONNACK. */
  connectLatency: LatencySummary;
  /** Why the batch ended before `count`, if it did. */
  stoppedEarly: string | null;
}

/** Opens `count` connections, `concurrency` at a time, and keeps them open (idle). */
export async function openConnections(options: ConnectBatchOptions): Promise<ConnectBatch> {
  const clients: RawMqttClient[] = [];
  const errors: Record<string, number> = {};
  const latency = new Latencies();
  let next = 0;
  let failed = 0;
  let stoppedEarly: string | null = null;
  const start = now();
  let lastAccepted = start;
  const acceptedAtMs: number[] = [];
  const worker = async () => {
    while (next < options.count && stoppedEarly === null) {
      const index = next++;
      const began = now();
      try {
        clients.push(await RawMqttClient.connect(options.connectOptions(index)));
        lastAccepted = now();
        latency.record(began, lastAccepted);
        acceptedAtMs.push(elapsedMs(start, lastAccepted));
      } catch (error) {
        failed++;
        const reason = error instanceof ConnectRefused ? error.message : (error as Error).message;
        errors[reason] = (errors[reason] ?? 0) + 1;
        if (failed >= options.maxFailures) stoppedEarly ??= `${failed} failed connections (last: ${reason})`;
      }
      if (stoppedEarly === null && elapsedMs(start) > options.deadlineMs) stoppedEarly = `deadline of ${options.deadlineMs} ms reached`;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, options.count)) }, worker));
  const seconds = elapsedMs(start, lastAccepted) / 1000;
  return {
    clients,
    attempted: next,
    failed,
    errors,
    elapsedMs: Math.round(elapsedMs(start, lastAccepted)),
    ratePerSecond: seconds > 0 ? Math.round(clients.length / seconds) : 0,
    ratePerTenth: tenths(acceptedAtMs),
    connectLatency: latency.summary(),
    stoppedEarly,
  };
}

/** Connections per second in each tenth of `times` (ms since the start, ascending). */
function tenths(times: number[]): number[] {
  if (times.length < 10) return [];
  return Array.from({ length: 10 }, (_, tenth) => {
    const from = Math.floor((tenth * times.length) / 10);
    const to = Math.floor(((tenth + 1) * times.length) / 10) - 1;
    const startMs = tenth === 0 ? 0 : times[from - 1]!;
    const ms = times[to]! - startMs;
    return ms > 0 ? Math.round(((to - from + 1) / ms) * 1000) : 0;
  });
}

/** Closes every client (DISCONNECT then FIN), a few hundred at a time. */
export async function closeConnections(clients: RawMqttClient[]): Promise<void> {
  for (let i = 0; i < clients.length; i += 500) {
    for (const client of clients.slice(i, i + 500)) client.disconnect();
    await setImmediate();
  }
}
