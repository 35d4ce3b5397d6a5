/** Builds a load generator written in C with `cc -O2` (or gcc), when its source is newer. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { commandExists } from './processes.mjs';

export function compileC(source, binary) {
  mkdirSync(dirname(binary), { recursive: true });
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return;
  const compiler = commandExists('cc') ? 'cc' : 'gcc';
  const result = spawnSync(compiler, ['-O2', '-Wall', '-o', binary, source], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`building ${source} failed:\n${result.stderr}`);
  console.error(`built ${binary} with ${compiler} -O2`);
}
