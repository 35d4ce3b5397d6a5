import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));

describe('the published shape of @wsgate/nestjs', () => {
  it('exports an ESM and a CommonJS build, each with its types', () => {
    for (const condition of ['import', 'require'] as const) {
      const target = manifest.exports['.'][condition];
      expect(existsSync(join(packageDir, target.types)), target.types).toBe(true);
      expect(existsSync(join(packageDir, target.default)), target.default).toBe(true);
    }
    expect(manifest.files).toEqual([
      'dist',
      '!dist/**/*.map',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
    ]);
    expect(manifest.sideEffects).toBe(false);
  });

  it('loads with import (NestJS 12) and with require (NestJS 11)', async () => {
    const esm = await import('@wsgate/nestjs');
    const cjs = require('@wsgate/nestjs');
    expect(typeof esm.WsgateAdapter).toBe('function');
    expect(typeof cjs.WsgateAdapter).toBe('function');
    expect(require.resolve('@wsgate/nestjs')).toMatch(/dist\/cjs\/index\.js$/);
  });

  it('takes NestJS 11 or 12 as peers and depends on core only', () => {
    for (const name of ['@nestjs/common', '@nestjs/core', '@nestjs/websockets']) {
      expect(manifest.peerDependencies[name]).toBe('^11.0.0 || ^12.0.0');
    }
    expect(manifest.peerDependencies.rxjs).toBe('^7.1.0');
    expect(manifest.peerDependencies['reflect-metadata']).toBe('^0.1.12 || ^0.2.0');
    expect(manifest.dependencies).toEqual({
      '@wsgate/core': expect.stringMatching(/^\^\d+\.\d+\.\d+$/),
    });
  });

  it('imports nothing from @nestjs at run time, so one build serves both majors', () => {
    for (const build of ['esm', 'cjs']) {
      const dir = join(packageDir, 'dist', build);
      for (const file of readdirSync(dir).filter((name) => name.endsWith('.js'))) {
        const code = readFileSync(join(dir, file), 'utf8');
        expect(code, `${build}/${file}`).not.toMatch(/(?:from |require\()['"]@nestjs\//);
      }
    }
  });
});
