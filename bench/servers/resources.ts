import { readFileSync } from 'node:fs';
import { cpuSeconds, machineCpuSeconds, rssKiB } from './process.js';

/** A process whose CPU (and optionally RSS) is followed. */
export interface MeteredProcess {
  /** Key in the figures: `gateway`, `geolocation`, `nats`, `postgres`. */
  name: string;
  /** `self` is the benchmark's own process (without its children, the servers it started). */
  pid: number | 'self';
  /** Count the process's children too (a server's workers; PostgreSQL's backends). */
  tree: boolean;
  /** Follow its RSS (not for shared servers whose RSS says nothing about this run). */
  rss: boolean;
}

/** One reading of every process. */
interface Reading {
  /** Milliseconds since the monitor was created. */
  atMs: number;
  /** CPU seconds used so far, by process name (NaN when unreadable). */
  cpu: Record<string, number>;
  machineCpu: number;
  /** RSS in KiB, by process name (for those followed). */
  rss: Record<string, number>;
}

/** CPU used per second of one sampling interval, and RSS at its end. */
export interface ResourceSample {
  /** Seconds since the monitor started, at the end of the interval. */
  t: number;
  /** % of one core in the interval, by process name, plus `bench` and `other` (every other process). */
  cpuPercent: Record<string, number>;
  rssKiB: Record<string, number>;
  /** Counters of the run at that moment (sent, acknowledged, rows seen…). */
  progress: Record<string, number>;
}

/** CPU and memory over one phase of the run (between two marks). */
export interface PhaseUse {
  seconds: number;
  /** % of one core, by process name, plus `bench` (this process alone) and `other` (the rest of the machine). */
  cpuPercent: Record<string, number>;
  /** RSS at the phase's start and end and the largest sampled in it, by process name. */
  rssKiB: Record<string, { start: number; end: number; peak: number }>;
}

/** CPU seconds used so far by `pid` alone (user + system, /proc/<pid>/stat). */
function ownCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const guard = (read: () => number): number => {
  try {
    return read();
  } catch {
    return Number.NaN; // exited, or not readable
  }
};

const percent = (cpuSeconds: number, wallMs: number): number => (wallMs > 0 && Number.isFinite(cpuSeconds) ? Math.round((cpuSeconds / (wallMs / 1000)) * 1000) / 10 : Number.NaN);

/**
 * Follows the CPU and RSS of several processes (from /proc) over a run: a reading every `intervalMs`
 * for the timeline, and named marks between which {@link phase} gives CPU % of a core and RSS
 * start/end/peak. The benchmark's own CPU is its process alone (`process.cpuUsage()`), not the servers
 * it started as children.
 */
export class ResourceMonitor {
  readonly samples: ResourceSample[] = [];
  private readonly origin = process.hrtime.bigint();
  private readonly marks = new Map<string, Reading>();
  private readonly readings: Reading[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly processes: MeteredProcess[],
    private readonly progress: () => Record<string, number> = () => ({}),
  ) {}

  /** Takes a reading every `intervalMs` until {@link stop}. */
  start(intervalMs = 1_000): void {
    let previous = this.read();
    this.readings.push(previous);
    this.timer = setInterval(() => {
      const current = this.read();
      this.readings.push(current);
      this.samples.push({ t: Math.round(current.atMs / 100) / 10, cpuPercent: this.cpuBetween(previous, current), rssKiB: current.rss, progress: this.progress() });
      previous = current;
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Records a reading under `label`. */
  mark(label: string): void {
    const reading = this.read();
    this.readings.push(reading);
    this.marks.set(label, reading);
  }

  /** CPU and RSS between the marks `from` and `to`. */
  phase(from: string, to: string): PhaseUse {
    const start = this.marks.get(from);
    const end = this.marks.get(to);
    if (!start || !end) throw new Error(`no mark ${start ? to : from}`);
    const inside = this.readings.filter((reading) => reading.atMs >= start.atMs && reading.atMs <= end.atMs);
    const rssKiB: PhaseUse['rssKiB'] = {};
    for (const name of Object.keys(start.rss)) {
      const peak = Math.max(...inside.map((reading) => reading.rss[name] ?? 0).filter(Number.isFinite));
      rssKiB[name] = { start: start.rss[name]!, end: end.rss[name]!, peak };
    }
    return { seconds: Math.round(end.atMs - start.atMs) / 1000, cpuPercent: this.cpuBetween(start, end), rssKiB };
  }

  private cpuBetween(a: Reading, b: Reading): Record<string, number> {
    const wallMs = b.atMs - a.atMs;
    const out: Record<string, number> = {};
    let ours = 0;
    for (const name of Object.keys(a.cpu)) {
      const used = b.cpu[name]! - a.cpu[name]!;
      out[name] = percent(used, wallMs);
      if (Number.isFinite(used)) ours += used;
    }
    out.other = Math.max(0, percent(b.machineCpu - a.machineCpu - ours, wallMs));
    return out;
  }

  private read(): Reading {
    const cpu: Record<string, number> = {};
    const rss: Record<string, number> = {};
    for (const target of this.processes) {
      const { pid } = target;
      if (pid === 'self') {
        const usage = process.cpuUsage();
        cpu[target.name] = (usage.user + usage.system) / 1e6;
        if (target.rss) rss[target.name] = Math.round(process.memoryUsage.rss() / 1024);
        continue;
      }
      cpu[target.name] = guard(() => (target.tree ? cpuSeconds(pid) : ownCpuSeconds(pid)));
      if (target.rss) rss[target.name] = guard(() => rssKiB(pid));
    }
    return { atMs: Number(process.hrtime.bigint() - this.origin) / 1e6, cpu, machineCpu: guard(machineCpuSeconds), rss };
  }
}

/** Peak RSS of one process since it started, in KiB (`VmHWM`; its children not included). */
export function peakRssKiB(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
