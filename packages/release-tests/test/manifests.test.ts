import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Manifest,
  PUBLIC_PACKAGE_NAMES,
  publicPackages,
  readJson,
  repoRoot,
  workspacePackages,
} from './helpers.js';

interface Conditions {
  readonly types: string;
  readonly default: string;
}

interface EntryPoint {
  readonly import: Conditions;
  readonly require: Conditions;
}

interface PublicManifest extends Manifest {
  readonly exports: { readonly '.': EntryPoint; readonly [subpath: string]: EntryPoint | string };
  readonly [field: string]: unknown;
}

/** The entry points of @wsgate/core: applications, adapter authors, bring-your-own-I/O. */
const CORE_SUBPATHS = ['.', './adapter', './protocol', './package.json'];

const publicOnes = publicPackages();
const publicNames = new Set<string>(PUBLIC_PACKAGE_NAMES);
const byName = new Map(publicOnes.map((pkg) => [pkg.manifest.name, pkg]));

/** The framework each adapter takes as a peer, with the majors it is tested against. */
const FRAMEWORK_PEERS: Record<string, Record<string, string>> = {
  '@wsgate/express': { express: '^4.17.0 || ^5.0.0' },
  '@wsgate/koa': { koa: '^2.13.0 || ^3.0.0', '@types/koa': '^2.13.0 || ^3.0.0' },
  '@wsgate/nestjs': {
    '@nestjs/common': '^11.0.0 || ^12.0.0',
    '@nestjs/core': '^11.0.0 || ^12.0.0',
    '@nestjs/websockets': '^11.0.0 || ^12.0.0',
    'reflect-metadata': '^0.1.12 || ^0.2.0',
    rxjs: '^7.1.0',
  },
  '@wsgate/redis': { redis: '^5.0.0' },
};

/** Peers a package uses when the application has them, and does without otherwise. */
const OPTIONAL_PEERS: Record<string, Record<string, string>> = {
  '@wsgate/core': { '@opentelemetry/api': '^1.9.0' },
  '@wsgate/nestjs': { '@opentelemetry/api': '^1.9.0' },
};

describe('which packages a release publishes', () => {
  it('publishes exactly core, the three adapters, the Redis backplane and the wsgate command', () => {
    expect(publicOnes.map((pkg) => pkg.manifest.name).sort()).toEqual([...PUBLIC_PACKAGE_NAMES]);
  });

  it('keeps every other workspace package private, without publish settings', () => {
    for (const { dir, manifest } of workspacePackages()) {
      if (publicNames.has(manifest.name)) continue;
      expect(manifest.private, dir).toBe(true);
      expect(manifest.publishConfig, dir).toBeUndefined();
    }
  });

  it('tells changesets to publish publicly and never to version or tag private packages', () => {
    const config = readJson<Record<string, unknown>>(join(repoRoot, '.changeset/config.json'));
    expect(config.access).toBe('public');
    expect(config.privatePackages).toEqual({ version: false, tag: false });
    expect(config.updateInternalDependencies).toBe('patch');
    expect(config.ignore).toEqual([]);
  });

  it('releases core, the adapters and the wsgate command together, with one version', () => {
    const config = readJson<Record<string, unknown>>(join(repoRoot, '.changeset/config.json'));
    expect(config.fixed).toEqual([[...PUBLIC_PACKAGE_NAMES]]);
    expect(config.linked).toEqual([]);
  });

  it('has pending changesets that name published packages only', () => {
    const dir = join(repoRoot, '.changeset');
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.md'))) {
      if (file === 'README.md') continue;
      // An empty front matter (`npx changeset --empty`) releases nothing, which is fine.
      const front = /^---\n([\s\S]*?)\n?---/.exec(readFileSync(join(dir, file), 'utf8'));
      expect(front, `${file} has no front matter`).not.toBeNull();
      for (const line of front?.[1]?.split('\n') ?? []) {
        if (line.trim() === '') continue;
        const entry = /^["']?([^"':]+)["']?:\s*(major|minor|patch)$/.exec(line.trim());
        expect(entry, `${file}: ${line}`).not.toBeNull();
        expect(publicNames.has(entry?.[1] ?? ''), `${file} names ${entry?.[1]}`).toBe(true);
      }
    }
  });

  it('has a release script that builds before changeset publish', () => {
    const { scripts } = readJson<{ scripts: Record<string, string> }>(
      join(repoRoot, 'package.json'),
    );
    expect(scripts.release).toMatch(/^turbo run build && changeset publish$/);
    expect(scripts['version-packages']).toMatch(/^changeset version && npm install/);
  });
});

describe.each(publicOnes.map((pkg) => [pkg.manifest.name, pkg] as const))(
  '%s is ready for npm install',
  (name, { dir, manifest: raw }) => {
    const manifest = raw as PublicManifest;
    const packageDir = join(repoRoot, dir);

    it('is public, MIT with the LICENSE file, and links to its folder of the repository', () => {
      expect(manifest.publishConfig).toEqual({ access: 'public' });
      expect(manifest.license).toBe('MIT');
      expect(readFileSync(join(packageDir, 'LICENSE'), 'utf8')).toBe(
        readFileSync(join(repoRoot, 'LICENSE'), 'utf8'),
      );
      expect(manifest.repository).toEqual({
        type: 'git',
        url: 'git+https://github.com/wsgate/wsgate.git',
        directory: dir,
      });
      expect(manifest.homepage).toBe(`https://github.com/wsgate/wsgate/tree/main/${dir}#readme`);
      expect(manifest.keywords).toEqual(expect.arrayContaining(['websocket', 'wsgate']));
      expect(manifest.description).toEqual(expect.any(String));
    });

    it('has a changelog headed with its name, for changesets to add each release to', () => {
      const changelog = readFileSync(join(packageDir, 'CHANGELOG.md'), 'utf8');
      expect(changelog.split('\n')[0]).toBe(`# ${name}`);
    });

    it('exports an ESM and a CommonJS build of each entry point, each with its own types listed first', () => {
      const root = manifest.exports['.'];
      for (const [subpath, entry] of Object.entries(manifest.exports)) {
        if (subpath === './package.json') continue;
        if (typeof entry === 'string') throw new Error(`${subpath} has no conditions`);
        expect(Object.keys(entry), subpath).toEqual(['import', 'require']);
        for (const [condition, build] of [
          ['import', 'esm'],
          ['require', 'cjs'],
        ] as const) {
          const target = entry[condition];
          expect(Object.keys(target), `${subpath} ${condition}`).toEqual(['types', 'default']);
          expect(target.types).toMatch(new RegExp(`^\\./dist/${build}/.+\\.d\\.ts$`));
          expect(target.default).toMatch(new RegExp(`^\\./dist/${build}/.+\\.js$`));
          expect(target.types.replace(/\.d\.ts$/, '.js')).toBe(target.default);
        }
      }
      expect(manifest.exports).toHaveProperty(['./package.json'], './package.json');
      expect(Object.keys(manifest.exports)).toEqual(
        name === '@wsgate/core' ? CORE_SUBPATHS : ['.', './package.json'],
      );
      // For tools that predate `exports` (TypeScript's node10 resolution, old bundlers).
      expect(manifest.main).toBe(root.require.default);
      expect(manifest.types).toBe(root.require.types);
      expect(manifest.type).toBe('module');
      expect(manifest.sideEffects).toBe(false);
      expect(manifest.engines).toEqual({ node: '>=20' });
    });

    it('maps each subpath for TypeScript resolutions that predate `exports` (typesVersions)', () => {
      const subpaths = Object.keys(manifest.exports).filter(
        (subpath) => subpath !== '.' && subpath !== './package.json',
      );
      if (subpaths.length === 0) {
        expect(manifest.typesVersions).toBeUndefined();
        return;
      }
      const expected: Record<string, string[]> = {};
      for (const subpath of subpaths) {
        const entry = manifest.exports[subpath] as EntryPoint;
        expected[subpath.replace(/^\.\//, '')] = [entry.require.types];
      }
      expect(manifest.typesVersions).toEqual({ '*': expected });
    });

    it('ships the build, README, LICENSE and CHANGELOG, without source maps', () => {
      const bin = manifest.bin === undefined ? [] : ['bin'];
      expect(manifest.files).toEqual([
        ...bin,
        'dist',
        '!dist/**/*.map',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
      ]);
      expect(existsSync(join(packageDir, 'README.md'))).toBe(true);
    });

    it('depends at run time on published @wsgate packages only, each by a caret range', () => {
      const dependencies = (manifest.dependencies ?? {}) as Record<string, string>;
      for (const [dependency, range] of Object.entries(dependencies)) {
        const target = byName.get(dependency);
        expect(target, `${dependency} is not a published workspace package`).toBeDefined();
        expect(range).toBe(`^${target?.manifest.version}`);
      }
      expect(Object.keys(dependencies)).toEqual(name === '@wsgate/core' ? [] : ['@wsgate/core']);
    });

    it('takes its framework as a peer dependency with the majors it supports', () => {
      const optional = OPTIONAL_PEERS[name] ?? {};
      expect(manifest.peerDependencies ?? {}).toEqual({ ...FRAMEWORK_PEERS[name], ...optional });
      const devDependencies = (manifest.devDependencies ?? {}) as Record<string, string>;
      const meta = (manifest.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
      for (const peer of Object.keys(optional)) {
        expect(meta[peer], peer).toEqual({ optional: true });
        expect(devDependencies[peer], `${peer} is tested, so it is a dev dependency too`).toEqual(
          expect.any(String),
        );
      }
      for (const peer of Object.keys(FRAMEWORK_PEERS[name] ?? {})) {
        // Typings matter to TypeScript users only: npm must not require them of everyone.
        if (peer.startsWith('@types/')) expect(meta[peer], peer).toEqual({ optional: true });
        expect(devDependencies[peer], `${peer} is tested, so it is a dev dependency too`).toEqual(
          expect.any(String),
        );
      }
    });
  },
);
