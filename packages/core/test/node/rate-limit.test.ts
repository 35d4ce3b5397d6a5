import { describe, expect, it } from 'vitest';
import { KeyedRateLimit, TokenBucket } from '../../src/node/rate-limit.js';

function takes(bucket: TokenBucket, now: number, count: number): boolean[] {
  return Array.from({ length: count }, () => bucket.take(now));
}

describe('TokenBucket', () => {
  it('allows a burst up to its capacity, then refuses until time passes', () => {
    const bucket = new TokenBucket(3, 1_000, 0);
    expect(takes(bucket, 0, 4)).toEqual([true, true, true, false]);
  });

  it('refills continuously: one token per period / capacity', () => {
    const bucket = new TokenBucket(4, 1_000, 0);
    takes(bucket, 0, 4);
    expect(bucket.take(249)).toBe(false);
    expect(bucket.take(250)).toBe(true);
    expect(bucket.take(250)).toBe(false);
  });

  it('never holds more than its capacity, however long it was idle', () => {
    const bucket = new TokenBucket(2, 1_000, 0);
    expect(takes(bucket, 3_600_000, 3)).toEqual([true, true, false]);
  });

  it('gives a burst straddling a period edge no second allowance', () => {
    const bucket = new TokenBucket(10, 1_000, 0);
    expect(takes(bucket, 999, 10).every(Boolean)).toBe(true);
    expect(takes(bucket, 1_001, 10).filter(Boolean)).toHaveLength(0);
  });

  it('refills nothing when the clock it is given goes back', () => {
    const bucket = new TokenBucket(2, 1_000, 5_000);
    takes(bucket, 5_000, 2);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(5_499)).toBe(false);
    expect(bucket.take(5_500)).toBe(true);
  });
});

describe('KeyedRateLimit', () => {
  it('keeps one budget per key', () => {
    const limit = new KeyedRateLimit(2, 60_000, 100);
    expect([limit.take('a', 0), limit.take('a', 0), limit.take('a', 0)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(limit.take('b', 0)).toBe(true);
  });

  it('stays within maxKeys by forgetting the least recently seen key alone, not everyone', () => {
    const limit = new KeyedRateLimit(1, 60_000, 3);
    limit.take('victim', 0);
    limit.take('a', 0);
    limit.take('b', 0);
    // The victim is seen again: now the least recent is 'a'.
    expect(limit.take('victim', 1)).toBe(false);
    for (let i = 0; i < 10_000; i++) limit.take(`flood-${i % 2}`, 2);
    expect(limit.size).toBe(3);
    // Flooding with two new keys evicted 'a' and 'b', and the victim's spent budget stands.
    expect(limit.take('victim', 3)).toBe(false);
  });
});
