import type { Packet } from 'mqtt-packet';
import { summarise } from './percentiles.js';
import { ConnectRefused, RawMqttClient, type RawConnectOptions } from './raw-client.js';
import { elapsedMs, now, sleep, type LatencySummary } from './stats.js';

/** A fleet of agents reporting periodically at QoS 1. */
export interface FleetOptions {
  agents: number;
  /** Time between two reports of one agent. */
  intervalMs: number;
  /** How long the agents report; each sends ⌈durationMs / intervalMs⌉ messages. */
  durationMs: number;
  /** CONNECTs in progress at once while the fleet connects. */
  connectConcurrency: number;
  /** Connection options of agent `index`. */
  connect(index: number): RawConnectOptions;
  /** Topic agent `index` reports to. */
  topic(index: number): string;
  /** Payload of report `k` (0, 1, …) of agent `index`; must differ from report to report. */
  payload(index: number, k: number): Buffer;
}

/** How the fleet connected. */
export interface FleetConnectFigures {
  requested: number;
  connected: number;
  failed: number;
  /** Failure reasons (after retries) and how often each happened. */
  errors: Record<string, number>;
  /** Attempts that failed and were retried. */
  retries: number;
  elapsedMs: number;
  ratePerSecond: number;
  connectLatency: LatencySummary;
}

/** What the reporting run did. */
export interface FleetRunFigures {
  offeredRate: number;
  scheduled: number;
  sent: number;
  acked: number;
  /** Messages not sent because their agent's connection was gone. */
  skipped: number;
  /** Agents whose connection closed during the run. */
  disconnected: number;
  /** PUBLISH written → PUBACK read. */
  pubackLatency: LatencySummary;
  /** How late messages left after their due time (the generator's own lag). */
  sendLag: LatencySummary;
}

const MAX_ATTEMPTS = 3;

/**
 * N agents on {@link RawMqttClient}s, each reporting every `intervalMs`; the first reports are spread
 * uniformly over one interval (agent i first at i × interval / N), so the fleet offers N / interval
 * messages per second, evenly. Report k of agent i is slot `i × perAgent + k` of {@link sentMs} and
 * {@link ackMs} (milliseconds since {@link origin}; NaN until it happens); its MQTT packet id is k + 1.
 */
export class Fleet {
  readonly perAgent: number;
  readonly sentMs: Float64Array;
  readonly ackMs: Float64Array;
  /** Clock origin of the run (set by {@link run}): hrtime and the wall clock at the same moment. */
  origin = now();
  originWallMs = Date.now();
  sent = 0;
  acked = 0;
  skipped = 0;
  disconnected = 0;
  private readonly clients: (RawMqttClient | undefined)[];
  private readonly topics: string[];
  private readonly sendLag: Float64Array;

  constructor(private readonly options: FleetOptions) {
    this.perAgent = Math.ceil(options.durationMs / options.intervalMs);
    if (this.perAgent > 65_535) throw new Error('at most 65,535 reports per agent (one packet id each)');
    const slots = options.agents * this.perAgent;
    this.sentMs = new Float64Array(slots).fill(Number.NaN);
    this.ackMs = new Float64Array(slots).fill(Number.NaN);
    this.sendLag = new Float64Array(slots).fill(Number.NaN);
    this.clients = new Array<RawMqttClient | undefined>(options.agents);
    this.topics = Array.from({ length: options.agents }, (_, i) => options.topic(i));
  }

  /** Milliseconds since {@link origin}. */
  clock(): number {
    return elapsedMs(this.origin);
  }

  /** Opens every agent's connection, `connectConcurrency` at a time, retrying a failed one up to twice. */
  async connect(): Promise<FleetConnectFigures> {
    const { agents, connectConcurrency } = this.options;
    const errors: Record<string, number> = {};
    const latencies: number[] = [];
    let next = 0;
    let failed = 0;
    let retries = 0;
    const start = now();
    let lastAccepted = start;
    const worker = async () => {
      while (next < agents) {
        const index = next++;
        for (let attempt = 1; ; attempt++) {
          const began = now();
          try {
            const client = await RawMqttClient.connect({ timeoutMs: 30_000, ...this.options.connect(index) });
            lastAccepted = now();
            latencies.push(elapsedMs(began, lastAccepted));
            this.attach(client, index);
            break;
          } catch (error) {
            const reason = error instanceof ConnectRefused ? error.message : (error as Error).message;
            if (attempt < MAX_ATTEMPTS && !(error instanceof ConnectRefused)) {
              retries++;
              await sleep(100 * attempt);
              continue;
            }
            failed++;
            errors[reason] = (errors[reason] ?? 0) + 1;
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(connectConcurrency, agents)) }, worker));
    const ms = elapsedMs(start, lastAccepted);
    const connected = latencies.length;
    return { requested: agents, connected, failed, errors, retries, elapsedMs: Math.round(ms), ratePerSecond: ms > 0 ? Math.round((connected / ms) * 1000) : 0, connectLatency: summarise(latencies) };
  }

  /**
   * Sends every report at its due time (a 1 ms timer sends whatever is due) and resolves once the last
   * one was sent. `onStart` runs at the clock origin.
   */
  async run(onStart?: () => void): Promise<void> {
    const { agents, intervalMs } = this.options;
    const scheduled = agents * this.perAgent;
    const stepMs = intervalMs / agents;
    this.origin = now();
    this.originWallMs = Date.now();
    onStart?.();
    let next = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const elapsed = this.clock();
        for (; next < scheduled && next * stepMs <= elapsed; next++) this.send(next % agents, Math.floor(next / agents), next * stepMs);
        if (next >= scheduled) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 1);
      tick();
    });
  }

  /** Figures of the run so far. */
  figures(): FleetRunFigures {
    const puback = new Float64Array(this.sentMs.length);
    for (let i = 0; i < puback.length; i++) puback[i] = this.ackMs[i]! - this.sentMs[i]!;
    return {
      offeredRate: Math.round((this.options.agents * 1000) / this.options.intervalMs),
      scheduled: this.options.agents * this.perAgent,
      sent: this.sent,
      acked: this.acked,
      skipped: this.skipped,
      disconnected: this.disconnected,
      pubackLatency: summarise(puback),
      sendLag: summarise(this.sendLag),
    };
  }

  /** Closes every connection (DISCONNECT then FIN), a few hundred at a time. */
  async close(): Promise<void> {
    for (let i = 0; i < this.clients.length; i++) {
      const client = this.clients[i];
      if (client && !client.closed) client.disconnect();
      if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private attach(client: RawMqttClient, index: number): void {
    this.clients[index] = client;
    const base = index * this.perAgent;
    client.onPacket = (packet: Packet) => {
      if (packet.cmd !== 'puback') return;
      const slot = base + (packet.messageId ?? 0) - 1;
      if (slot < base || slot >= base + this.perAgent || !Number.isNaN(this.ackMs[slot])) return;
      this.ackMs[slot] = this.clock();
      this.acked++;
    };
    client.onClose = () => {
      this.disconnected++;
    };
  }

  private send(index: number, k: number, dueMs: number): void {
    const client = this.clients[index];
    if (!client || client.closed) {
      this.skipped++;
      return;
    }
    const slot = index * this.perAgent + k;
    const at = this.clock();
    this.sentMs[slot] = at;
    this.sendLag[slot] = at - dueMs;
    client.publish(this.topics[index]!, this.options.payload(index, k), 1, k + 1);
    this.sent++;
  }
}
