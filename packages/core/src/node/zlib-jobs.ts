import { availableParallelism } from 'node:os';
import { compressionJobs } from '../observability/traffic-totals.js';

/**
 * Asynchronous zlib work (node:zlib callbacks run on libuv's threadpool, 4 threads by default)
 * admitted process-wide: at most this many jobs at a time, the others wait in order. The
 * threadpool also serves the file system and DNS lookups; a bound below its size leaves them a
 * thread, and zlib memory (a few hundred KiB per job) stays bounded however many connections
 * compress at once.
 */
export const MAX_CONCURRENT_ZLIB_JOBS = Math.max(
  1,
  Math.min(availableParallelism(), threadpoolSize() - 1),
);

function threadpoolSize(): number {
  const configured = Number(process.env['UV_THREADPOOL_SIZE']);
  return Number.isInteger(configured) && configured > 0 ? configured : 4;
}

/** A job is handed `finished`, which it calls exactly once when its zlib work is over. */
export type ZlibJob = (finished: () => void) => void;

const waiting: ZlibJob[] = [];
let waitingHead = 0;
let running = 0;
/** The most jobs seen running at once (for tests of the bound). */
let peakRunning = 0;

/** Runs `job` now when a slot is free, else after the jobs queued before it. */
export function runZlibJob(job: ZlibJob): void {
  if (running < MAX_CONCURRENT_ZLIB_JOBS) {
    start(job);
    return;
  }
  waiting.push(job);
  compressionJobs.pending = waiting.length - waitingHead;
}

function start(job: ZlibJob): void {
  running++;
  if (running > peakRunning) peakRunning = running;
  let done = false;
  job(() => {
    if (done) return;
    done = true;
    running--;
    startNext();
  });
}

function startNext(): void {
  while (running < MAX_CONCURRENT_ZLIB_JOBS && waitingHead < waiting.length) {
    const job = waiting[waitingHead] as ZlibJob;
    waiting[waitingHead] = undefined as unknown as ZlibJob;
    waitingHead++;
    if (waitingHead === waiting.length) {
      waiting.length = 0;
      waitingHead = 0;
    } else if (waitingHead > 1024 && waitingHead * 2 > waiting.length) {
      waiting.splice(0, waitingHead);
      waitingHead = 0;
    }
    compressionJobs.pending = waiting.length - waitingHead;
    start(job);
  }
}

/** @internal Jobs running and waiting now, and the most that ran at once since the last reset. */
export function zlibJobCounts(): { running: number; waiting: number; peakRunning: number } {
  return { running, waiting: waiting.length - waitingHead, peakRunning };
}

/** @internal */
export function resetZlibJobPeak(): void {
  peakRunning = running;
}
