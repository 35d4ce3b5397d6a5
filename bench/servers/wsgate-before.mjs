import { pathToFileURL } from 'node:url';
import { startWith } from './wsgate.mjs';

/**
 * wsgate.mjs on another build of core, to measure a change against the code before it in the
 * same alternation: WSGATE_BENCH_BEFORE is the path of that build's ESM entry
 * (`<checkout>/packages/core/dist/esm/index.js`). Opt-in: `--servers wsgate,wsgate-before`.
 */
export async function start(options) {
  const entry = process.env.WSGATE_BENCH_BEFORE;
  if (entry === undefined) throw new Error('WSGATE_BENCH_BEFORE names no build of core');
  const { createServer } = await import(pathToFileURL(entry).href);
  const handle = await startWith(createServer, options);
  return { ...handle, info: { ...handle.info, build: entry } };
}
