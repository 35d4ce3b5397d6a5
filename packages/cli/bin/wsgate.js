#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/esm/main.js', import.meta.url);

if (!existsSync(fileURLToPath(entry))) {
  console.error('wsgate is not built yet: run `npm run build` at the repo root');
  process.exit(1);
}

const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
