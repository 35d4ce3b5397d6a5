import { createRequire } from 'node:module';
import { start as startWsgate } from './wsgate.mjs';

const require = createRequire(import.meta.url);

/**
 * wsgate's standalone server (wsgate.mjs) in a process that also holds what an adapter's process
 * holds: an Express 4 app and a NestJS application context, loaded and kept, serving nothing.
 * Messages take exactly the standalone path; only the heap is an application's. It tells the
 * cost of the heap (V8 collects a larger old generation more often when a high rate of
 * ArrayBuffers goes through it) from the cost of an adapter. Opt-in:
 * `--servers wsgate,wsgate-app-heap,express,koa,nestjs --only echo-16k-binary,echo-1m-binary`.
 */
export async function start(options) {
  const express = require('express4');
  const app = express();
  app.get('/', (_request, response) => response.end('ok'));
  const { startNestContext } = await import('./nest-app.mjs');
  const nest = await startNestContext();
  globalThis.benchKeptAlive = [app, nest];
  return startWsgate(options);
}
