/** One window of a rate limit: at most `capacity` events per `seconds`. */
export interface RateWindow {
  capacity: number;
  seconds: number;
}

/**
 * Parses `capacity:seconds[,capacity:seconds…]` (e.g. `100:1,3000:60`: 100 per second and 3000 per
 * minute). The empty string means no limit.
 */
export function parseRateLimit(value: string): RateWindow[] {
  if (value.trim() === '') return [];
  return value.split(',').map((part) => {
    const match = /^\s*(\d+):(\d+)\s*$/.exec(part);
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) throw new Error(`rate limit ${JSON.stringify(value)}: expected capacity:seconds[,capacity:seconds…] with positive whole numbers`);
    return { capacity: Number(match[1]), seconds: Number(match[2]) };
  });
}

/** A token bucket per window; an event passes only if every window has a token. */
class Buckets {
  private readonly tokens: number[];
  private last: number;

  constructor(
    private readonly windows: readonly RateWindow[],
    now: number,
  ) {
    this.tokens = windows.map((w) => w.capacity);
    this.last = now;
  }

  take(now: number): boolean {
    const elapsed = (now - this.last) / 1000;
    this.last = now;
    this.windows.forEach((w, i) => (this.tokens[i] = Math.min(w.capacity, this.tokens[i]! + (elapsed * w.capacity) / w.seconds)));
    if (this.tokens.some((t) => t < 1)) return false;
    this.tokens.forEach((_, i) => (this.tokens[i]! -= 1));
    return true;
  }

  full(now: number): boolean {
    const elapsed = (now - this.last) / 1000;
    return this.windows.every((w, i) => this.tokens[i]! + (elapsed * w.capacity) / w.seconds >= w.capacity);
  }
}

/** Rate limits per key (device, tenant, source address), each with the same windows. */
export class KeyedRateLimit {
  private readonly buckets = new Map<string, Buckets>();

  constructor(
    readonly windows: readonly RateWindow[],
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `key` may have one more event now; always true without windows. */
  take(key: string): boolean {
    if (this.windows.length === 0) return true;
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= 100_000) this.evictFull(now);
      this.buckets.set(key, (bucket = new Buckets(this.windows, now)));
    }
    return bucket.take(now);
  }

  private evictFull(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.full(now)) this.buckets.delete(key);
  }
}
