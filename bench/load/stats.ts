/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Monotonic clock in nanoseconds. */
export const now = (): bigint => process.hrtime.bigint();

/** Milliseconds between two {@link now} readings. */
export const elapsedMs = (from: bigint, to: bigint = now()): number => Number(to - from) / 1e6;

const round = (value: number): number => Math.round(value * 1000) / 1000;

/** Collects latencies (recorded from `process.hrtime.bigint()` readings) and summarises them. */
export class Latencies {
  private values: number[] = [];

  /** Records the time from `from` to `to` (both {@link now} readings). */
  record(from: bigint, to: bigint = now()): void {
    this.values.push(Number(to - from) / 1e6);
  }

  get count(): number {
    return this.values.length;
  }

  summary(): LatencySummary {
    const sorted = Float64Array.from(this.values).sort();
    const at = (q: number): number | null => (sorted.length === 0 ? null : round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!));
    const mean = sorted.length === 0 ? null : round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length);
    return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), mean };
  }
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
