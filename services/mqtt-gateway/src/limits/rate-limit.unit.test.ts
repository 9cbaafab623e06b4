import { describe, expect, it } from 'vitest';
import { KeyedRateLimit, parseRateLimit } from './rate-limit.js';

describe('rate limits', () => {
  it('parses capacity:seconds lists, and refuses anything else', () => {
    expect(parseRateLimit('100:1,3000:60')).toEqual([{ capacity: 100, seconds: 1 }, { capacity: 3000, seconds: 60 }]);
    expect(parseRateLimit('')).toEqual([]);
    for (const bad of ['100', '100:0', '0:1', 'a:1', '1:1,', '1.5:1']) expect(() => parseRateLimit(bad)).toThrow(/capacity:seconds/);
  });

  it('lets a burst of capacity through, then refills at capacity per seconds, per key', () => {
    let now = 0;
    const limit = new KeyedRateLimit(parseRateLimit('3:1'), () => now);
    expect([1, 2, 3, 4].map(() => limit.take('a'))).toEqual([true, true, true, false]);
    expect(limit.take('b')).toBe(true);
    now = 340; // 1.02 tokens back
    expect([limit.take('a'), limit.take('a')]).toEqual([true, false]);
  });

  it('applies every window: the long one caps a steady rate the short one allows', () => {
    let now = 0;
    const limit = new KeyedRateLimit(parseRateLimit('10:1,20:60'), () => now);
    let passed = 0;
    for (let second = 0; second < 10; second++, now += 1000) for (let i = 0; i < 10; i++) if (limit.take('d')) passed++;
    expect(passed).toBeGreaterThanOrEqual(20);
    expect(passed).toBeLessThanOrEqual(23);
  });

  it('never limits without windows', () => {
    const limit = new KeyedRateLimit([]);
    expect(Array.from({ length: 1000 }, () => limit.take('x')).every(Boolean)).toBe(true);
  });
});
