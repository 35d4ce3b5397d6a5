#!/usr/bin/env node
// Dual ESM + CJS build with plain `tsc`. Run from a package directory:
//   node ../../scripts/build-package.mjs
// 1. removes dist/
// 2. tsc -p tsconfig.build.json                      -> dist/esm (NodeNext, ESM)
// 3. tsc -p tsconfig.build.json (CommonJS overrides)  -> dist/cjs
// 4. writes dist/esm/package.json {"type":"module"} and dist/cjs/package.json {"type":"commonjs"}
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const pkgDir = process.cwd();
const project = join(pkgDir, 'tsconfig.build.json');
if (!existsSync(project)) {
  console.error(`build-package: no tsconfig.build.json in ${pkgDir}`);
  process.exit(1);
}

const require = createRequire(join(pkgDir, 'package.json'));
const tscBin = require.resolve('typescript/bin/tsc');
const dist = resolve(pkgDir, 'dist');

// No source maps in dist: they would point at src/, which is not published.
const distArgs = ['--sourceMap', 'false'];

function tsc(label, extraArgs) {
  console.log(`build-package: ${label}`);
  const r = spawnSync(process.execPath, [tscBin, '-p', project, ...distArgs, ...extraArgs], {
    cwd: pkgDir,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error(`build-package: tsc (${label}) failed in ${pkgDir}`);
    process.exit(r.status ?? 1);
  }
}

rmSync(dist, { recursive: true, force: true });

tsc('esm -> dist/esm', ['--outDir', join(dist, 'esm')]);
tsc('cjs -> dist/cjs', [
  '--outDir',
  join(dist, 'cjs'),
  '--module',
  'CommonJS',
  '--moduleResolution',
  'Node10',
]);

for (const [dir, type] of [
  ['esm', 'module'],
  ['cjs', 'commonjs'],
]) {
  mkdirSync(join(dist, dir), { recursive: true });
  writeFileSync(join(dist, dir, 'package.json'), `${JSON.stringify({ type }, null, 2)}\n`);
}
console.log(`build-package: done (${dist})`);
