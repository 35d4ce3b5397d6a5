#!/usr/bin/env node
// Loads the TypeScript CLI through Vite's module runner (Node 20 cannot run .ts files itself).
// The in-process servers (@wsgate/core, ws) are loaded only for --serve, so that a run against
// a URL works whatever state the packages' builds are in.
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const load = async (file) =>
  (
    await runnerImport(fileURLToPath(new URL(file, import.meta.url)), {
      configFile: false,
      logLevel: 'error',
    })
  ).module;

const argv = process.argv.slice(2);
const cli = await load('../cli.ts');
const servers = argv.includes('--serve') ? await load('../servers.ts') : undefined;
process.exitCode = await cli.main(argv, servers);
