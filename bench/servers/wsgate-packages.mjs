/**
 * Loads a wsgate package for a server file. run.mjs points WSGATE_BENCH_PACKAGES at copies of
 * the builds of @wsgate/core and the adapters taken when the run started (a `node_modules`
 * folder of their own, so that an adapter's `import '@wsgate/core'` finds the copied core), so
 * that every run of one benchmark measures the same code even if a package is rebuilt meanwhile.
 * Frameworks (express, koa, @nestjs/*) still resolve from the repository's node_modules.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export function importWsgate(name) {
  const root = process.env.WSGATE_BENCH_PACKAGES;
  return import(
    root === undefined
      ? `@wsgate/${name}`
      : pathToFileURL(join(root, '@wsgate', name, 'index.js')).href
  );
}
