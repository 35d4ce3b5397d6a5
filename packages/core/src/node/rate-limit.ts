import { isIPv6 } from 'node:net';

/**
 * Milliseconds on a clock that only moves forward. Rate limits read it rather than the wall
 * clock: a wall clock set back would hold a limit shut, one set forward would open it early.
 */
export type MonotonicClock = () => number;

/** `performance.now()`: monotonic, in milliseconds, unaffected by changes to the system time. */
export const monotonicClock: MonotonicClock = () => performance.now();

/**
 * A token bucket: at most `capacity` actions at once, refilled continuously at `capacity` per
 * `periodMs`. Unlike a counter reset at each window edge, a burst straddling an edge gets no
 * second allowance. Pure: the caller passes the time, so one clock can serve many buckets.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly capacity: number,
    private readonly periodMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.refilledAt = now;
  }

  /** Takes one token if there is one; false when the rate is exceeded. */
  take(now: number): boolean {
    // A clock that went back (an injected one) refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.capacity) / this.periodMs);
    this.refilledAt = Math.max(now, this.refilledAt);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * One token bucket per key (a client address), at most `maxKeys` of them: past that the key
 * seen least recently is forgotten, alone. A forgotten key starts again with a full bucket, so
 * a flood of new keys costs nobody else their limit (a table cleared when full would reset
 * every key at once).
 */
export class KeyedRateLimit {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly capacity: number,
    private readonly periodMs: number,
    private readonly maxKeys: number,
  ) {}

  /** Keys with a bucket now; never more than maxKeys. */
  get size(): number {
    return this.buckets.size;
  }

  take(key: string, now: number): boolean {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.capacity, this.periodMs, now);
      if (this.buckets.size >= this.maxKeys) {
        const leastRecent = this.buckets.keys().next().value as string;
        this.buckets.delete(leastRecent);
      }
    } else {
      // Map order is insertion order: moving the key to the end keeps the least recent first.
      this.buckets.delete(key);
    }
    this.buckets.set(key, bucket);
    return bucket.take(now);
  }
}

/**
 * The client a per-client limit counts `address` as: an IPv4 address by itself, an IPv6 address
 * by its /64 (one host usually holds a whole /64, so counting its addresses apart would give it
 * 2^64 budgets).
 */
export function clientKeyOf(address: string): string {
  if (!isIPv6(address)) return address;
  const withoutZone = address.split('%')[0] ?? '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(withoutZone);
  if (mapped?.[1] !== undefined) return mapped[1];
  const [head = '', tail] = withoutZone.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = Math.max(0, 8 - headGroups.length - tailGroups.length);
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array(missing).fill('0'), ...tailGroups];
  const prefix = groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}
