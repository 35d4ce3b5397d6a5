import type { ExchangeEntry } from './types.js';

/** Hex shown per entry; the rest is counted, not printed. */
const HEX_LIMIT_BYTES = 512;

export function toHex(bytes: Uint8Array, limit = HEX_LIMIT_BYTES): string {
  const shown = bytes.subarray(0, limit);
  const pairs = Array.from(shown, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > limit ? `${pairs} … (${bytes.length - limit} more bytes)` : pairs;
}

/** Rounds a duration to 0.1 ms, which is as precise as a socket event is. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** The raw exchange, timed from the start of the run. */
export class ExchangeLog {
  readonly entries: ExchangeEntry[] = [];
  private readonly start = performance.now();

  /** Milliseconds since the start. */
  now(): number {
    return performance.now() - this.start;
  }

  add(entry: Omit<ExchangeEntry, 'atMs'>): void {
    this.entries.push({ atMs: roundMs(this.now()), ...entry });
  }

  event(summary: string): void {
    this.add({ direction: 'event', kind: 'event', summary });
  }
}
