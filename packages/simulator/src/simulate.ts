import { FlyveAgent, type AgentFormat, type AgentIdentity, type AgentReport } from './flyve-agent.js';

/** Options of {@link simulate}. */
export interface SimulationOptions {
  host: string;
  port: number;
  agents: AgentIdentity[];
  format: AgentFormat;
  positionIntervalMs: number;
  /** Agents connecting at once. */
  connectConcurrency: number;
  /** A seed, so a run can be repeated. */
  seed: number;
}

/** A running simulation: its agents, and what they saw. */
export interface Simulation {
  agents: FlyveAgent[];
  /** Agents that could not connect, with why. */
  failed: { serial: string; reason: string }[];
  summary(): SimulationSummary;
  stop(): Promise<void>;
}

/** Totals over every agent. */
export interface SimulationSummary {
  agents: number;
  connected: number;
  failed: number;
  received: Record<string, number>;
  sent: Record<string, number>;
  wiped: number;
  unenrolled: number;
  errors: number;
}

/** mulberry32: a small seeded generator of numbers in [0, 1), so a run can be repeated. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
};

/** Starts every agent (at most `connectConcurrency` connecting at once) and returns once all have tried. */
export async function simulate(options: SimulationOptions): Promise<Simulation> {
  const random = seeded(options.seed);
  const agents = options.agents.map(
    (identity) =>
      new FlyveAgent(identity, {
        host: options.host,
        port: options.port,
        format: options.format,
        positionIntervalMs: options.positionIntervalMs,
        start: { latitude: 48.1 + (random() - 0.5), longitude: -1.67 + (random() - 0.5) },
        random,
      }),
  );
  const failed: Simulation['failed'] = [];
  const started: FlyveAgent[] = [];
  let next = 0;
  const worker = async () => {
    while (next < agents.length) {
      const agent = agents[next++]!;
      try {
        await agent.start();
        started.push(agent);
      } catch (error) {
        failed.push({ serial: agent.identity.serial, reason: (error as Error).message });
        await agent.stop();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.connectConcurrency) }, worker));
  return {
    agents: started,
    failed,
    summary() {
      const totals: SimulationSummary = { agents: agents.length, connected: 0, failed: failed.length, received: {}, sent: {}, wiped: 0, unenrolled: 0, errors: 0 };
      for (const { report } of started) {
        if (report.connected) totals.connected++;
        add(totals.received, report.received);
        add(totals.sent, report.sent);
        if (report.wiped) totals.wiped++;
        if (report.unenrolled) totals.unenrolled++;
        totals.errors += report.errors.length;
      }
      return totals;
    },
    async stop() {
      await Promise.all(started.map((agent) => agent.stop()));
    },
  };
}

/** Every agent's own report, for the JSON report file. */
export function agentReports(simulation: Simulation): AgentReport[] {
  return simulation.agents.map((agent) => agent.report);
}
