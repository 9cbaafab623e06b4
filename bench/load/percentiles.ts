import type { LatencySummary } from './stats.js';

const round = (value: number): number => Math.round(value * 1000) / 1000;

/**
 * p50/p90/p99/max/mean (nearest rank, as {@link Latencies} computes them) of the finite values of
 * `values`, in milliseconds, for latencies kept in typed arrays rather than recorded one by one.
 */
export function summarise(values: ArrayLike<number>): LatencySummary {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]!);
  const sorted = Float64Array.from(finite).sort();
  const at = (q: number): number | null => (sorted.length === 0 ? null : round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!));
  const mean = sorted.length === 0 ? null : round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length);
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), mean };
}
