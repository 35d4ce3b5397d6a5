import { pathToFileURL } from 'node:url';
import { startWith } from './wsgate.mjs';

/** wsgate.mjs on the build of core named by WSGATE_BENCH_BEFORE (opt-in: `--servers`). */
export async function start(options) {
  const entry = process.env.WSGATE_BENCH_BEFORE;
  if (entry === undefined) throw new Error('WSGATE_BENCH_BEFORE names no build of core');
  const { createServer } = await import(pathToFileURL(entry).href);
  const handle = await startWith(createServer, options);
  return { ...handle, info: { ...handle.info, build: entry } };
}
