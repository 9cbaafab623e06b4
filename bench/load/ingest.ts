import { QoS1Publisher } from './publisher.js';
import type { RawConnectOptions } from './raw-client.js';
import { elapsedMs, Latencies, now, sleep, type LatencySummary } from './stats.js';

/** A QoS 1 ingest run: `publishers` devices, each with at most `window` messages unacknowledged. */
export interface IngestOptions {
  publishers: number;
  /** Connection options and topic of the `index`-th device. */
  device(index: number): { connect: RawConnectOptions; topic: string };
  /** Payload of message `seq` of device `index`; must differ from message to message. */
  payload(index: number, seq: number): Buffer;
  window: number;
  warmupMs: number;
  durationMs: number;
  /** Offered messages per second over all devices (open loop); without it each device refills its window as acks come (closed loop). */
  rate?: number;
  /** Time left for the last acks after the run. */
  drainMs?: number;
  /** Called when the measurement window opens and when it closes (e.g. to meter the server's CPU). */
  onWindow?(phase: 'start' | 'end'): void;
}

/** Figures of one ingest run (only what happened in the measurement window after the warm-up). */
export interface IngestResult {
  mode: 'closed-loop' | 'open-loop';
  publishers: number;
  window: number;
  durationMs: number;
  offeredRate: number | null;
  /** Messages sent per second in the window. */
  sentRate: number;
  /** PUBACKs received per second in the window. */
  ackRate: number;
  acked: number;
  /** PUBLISH written → PUBACK read. */
  latency: LatencySummary;
  /** Open loop: when a message was due → PUBACK read (adds the time it waited for the generator or a full window). */
  latencyFromSchedule: LatencySummary | null;
  /** Open loop: how late messages left after they were due. */
  sendLag: LatencySummary | null;
  /** Messages never acknowledged (no PUBACK by the end of the drain). */
  unacknowledged: number;
  disconnectedPublishers: number;
  /** Largest number of messages one device held back because its window was full. */
  maxQueued: number;
}

/** Runs one QoS 1 ingest (closed or open loop) and closes its connections. */
export async function runIngest(options: IngestOptions): Promise<IngestResult> {
  const latency = new Latencies();
  const fromSchedule = new Latencies();
  const lag = new Latencies();
  const open = options.rate !== undefined;
  let measureFrom = Number.MAX_SAFE_INTEGER;
  let measureTo = Number.MAX_SAFE_INTEGER;
  let running = true;
  let acked = 0;
  let sent = 0;
  const start = now();
  const t = (at: bigint) => elapsedMs(start, at);
  const publishers: QoS1Publisher[] = [];
  await Promise.all(
    Array.from({ length: options.publishers }, async (_, index) => {
      const { connect, topic } = options.device(index);
      const inWindow = (at: bigint) => {
        const ms = t(at);
        return ms >= measureFrom && ms < measureTo;
      };
      const publisher = await QoS1Publisher.connect(connect, topic, (seq) => options.payload(index, seq), options.window, {
        sent(at) {
          if (inWindow(at)) sent++;
        },
        acked(flight, ackedAt) {
          if (inWindow(ackedAt)) acked++;
          if (inWindow(flight.sentAt)) {
            latency.record(flight.sentAt, ackedAt);
            if (open) {
              fromSchedule.record(flight.scheduledAt, ackedAt);
              lag.record(flight.scheduledAt, flight.sentAt);
            }
          }
          if (running && !open) publisher.offer();
        },
      });
      publishers[index] = publisher;
    }),
  );
  const begin = elapsedMs(start);
  measureFrom = begin + options.warmupMs;
  measureTo = measureFrom + options.durationMs;
  const windowStart = setTimeout(() => options.onWindow?.('start'), options.warmupMs);
  if (open) {
    const rate = options.rate!;
    const origin = now();
    let offered = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = elapsedMs(origin);
        if (begin + elapsed >= measureTo) {
          clearInterval(timer);
          return resolve();
        }
        const due = Math.floor((elapsed / 1000) * rate);
        for (; offered < due; offered++) publishers[offered % publishers.length]!.offer(origin + BigInt(Math.round((offered * 1e9) / rate)));
      }, 1);
    });
  } else {
    for (const publisher of publishers) for (let i = 0; i < options.window; i++) publisher.offer();
    await sleep(measureTo - elapsedMs(start));
  }
  running = false;
  clearTimeout(windowStart);
  options.onWindow?.('end');
  for (const publisher of publishers) publisher.clearQueue();
  const drainUntil = Date.now() + (options.drainMs ?? 5_000);
  while (Date.now() < drainUntil && publishers.some((publisher) => publisher.unacknowledged > 0 && !publisher.disconnected)) await sleep(20);
  const unacknowledged = publishers.reduce((sum, publisher) => sum + publisher.unacknowledged, 0);
  for (const publisher of publishers) publisher.close();
  const seconds = options.durationMs / 1000;
  return {
    mode: open ? 'open-loop' : 'closed-loop',
    publishers: options.publishers,
    window: options.window,
    durationMs: options.durationMs,
    offeredRate: options.rate ?? null,
    sentRate: Math.round(sent / seconds),
    ackRate: Math.round(acked / seconds),
    acked,
    latency: latency.summary(),
    latencyFromSchedule: open ? fromSchedule.summary() : null,
    sendLag: open ? lag.summary() : null,
    unacknowledged,
    disconnectedPublishers: publishers.filter((publisher) => publisher.disconnected).length,
    maxQueued: Math.max(0, ...publishers.map((publisher) => publisher.maxQueued)),
  };
}
