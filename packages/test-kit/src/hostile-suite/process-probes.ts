import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { MiB } from './hostile-demo.js';

/** The demo process, seen from outside: its memory and open descriptors, read under /proc. */

/**
 * Reads a file under /proc for the memory and descriptor checks. On Linux a missing /proc is an
 * error, not a pass: the checks would otherwise hold without measuring anything. Elsewhere there
 * is no /proc and the checks are not made (undefined).
 */
export function readProc<T>(read: () => T, what: string): T | undefined {
  try {
    return read();
  } catch (error) {
    if (process.platform !== 'linux') return undefined;
    throw new Error(`cannot read ${what} on Linux, so the check cannot be made: ${error}`);
  }
}

/** Resident memory of a process (VmRSS). */
export function rssBytes(pid: number | undefined): number | undefined {
  return readProc(() => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kib === undefined) throw new Error(`no VmRSS line in /proc/${pid}/status`);
    return Number(kib) * 1024;
  }, `/proc/${pid}/status`);
}

/** Open file descriptors of a process (its sockets among them). */
export function openFds(pid: number | undefined): number | undefined {
  return readProc(() => readdirSync(`/proc/${pid}/fd`).length, `/proc/${pid}/fd`);
}

/** Samples a process's RSS every 10 ms; `stop` gives the highest growth over the first sample. */
export function watchRss(pid: number | undefined): { stop(): number | undefined } {
  const start = rssBytes(pid);
  let peak = start ?? 0;
  const sample = (): void => {
    peak = Math.max(peak, rssBytes(pid) ?? 0);
  };
  const timer = setInterval(sample, 10);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return start === undefined ? undefined : peak - start;
    },
  };
}

/** Asserts the growth `watchRss` measured (undefined only where there is no /proc at all). */
export function expectGrowthBelow(growthBytes: number | undefined, limitBytes: number): void {
  if (growthBytes === undefined) return;
  expect(growthBytes, `RSS grew by ${(growthBytes / MiB).toFixed(1)} MiB`).toBeLessThan(limitBytes);
}
