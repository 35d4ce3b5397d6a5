// A release as it happens for real, end to end and offline but for the npm registry itself:
// changesets versions and publishes a copy of this workspace to a local Verdaccio, twice; then a
// fresh project outside the workspace installs the adapters from it, with their frameworks from
// npm, and runs an echo app of each as ESM and as CommonJS, loads the three entry points of
// @wsgate/core both ways, and type-checks a TypeScript consumer under each module resolution.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killAllChildren,
  nextPatch,
  PUBLIC_PACKAGE_NAMES,
  publicPackages,
  readJson,
  repoRoot,
  run,
  runOk,
  spawnTracked,
  userEnv,
  workspacePackages,
} from './helpers.js';

const requireFromRepo = createRequire(join(repoRoot, 'package.json'));
const changesetBin = requireFromRepo.resolve('@changesets/cli/bin.js');
const tscBin = requireFromRepo.resolve('typescript/bin/tsc');
const here = fileURLToPath(new URL('..', import.meta.url));
const ADAPTERS = ['@wsgate/express', '@wsgate/koa', '@wsgate/nestjs'] as const;
/** What the second release's changeset names; the fixed group takes the others along. */
const PATCHED: readonly string[] = ['@wsgate/core', '@wsgate/express'];
const PRIVATE_NAMES = workspacePackages()
  .filter((pkg) => pkg.manifest.private === true)
  .map((pkg) => pkg.manifest.name);

interface Packument {
  readonly 'dist-tags': Record<string, string>;
  readonly versions: Record<
    string,
    { readonly dependencies?: Record<string, string>; readonly dist: { readonly tarball: string } }
  >;
}

let temp = '';
let registryUrl = '';
let workspace = '';
/** npm settings for publishing: the local registry for every name, its token, a fresh cache. */
let publishEnv: NodeJS.ProcessEnv = {};
/** Versions of the public packages after the first and the second `changeset version`. */
const first = new Map<string, string>();
const second = new Map<string, string>();
/** What the registry served after the first release and after the second. */
const servedFirst = new Map<string, Packument | undefined>();
const servedSecond = new Map<string, Packument | undefined>();

beforeAll(async () => {
  for (const pkg of publicPackages()) {
    const built = ['esm', 'cjs'].every((build) =>
      existsSync(join(repoRoot, pkg.dir, 'dist', build, 'package.json')),
    );
    if (!built) throw new Error(`${pkg.dir} is not built: run npm run build first`);
  }
  temp = mkdtempSync(join(tmpdir(), 'wsgate-release-'));
  registryUrl = await startRegistry(join(temp, 'registry'));
  const token = await addUser(registryUrl);

  const host = registryUrl.replace(/^http:/, '');
  const npmrc = join(temp, 'publish.npmrc');
  writeFileSync(npmrc, `registry=${registryUrl}\n${host}:_authToken=${token}\n`);
  publishEnv = userEnv({
    npm_config_userconfig: npmrc,
    npm_config_cache: join(temp, 'npm-cache'),
    // changesets picks the registry from these (unscoped `wsgate`, then the @wsgate scope).
    npm_config_registry: registryUrl,
    'npm_config_@wsgate:registry': registryUrl,
  });

  workspace = copyWorkspace(join(temp, 'workspace'));

  writeChangeset('release-test-first', 'minor', PUBLIC_PACKAGE_NAMES);
  await versionPackages();
  readVersions(first);
  await changeset(['publish', '--no-git-tag']);
  await fetchAll(servedFirst);

  writeChangeset('release-test-second', 'patch', PATCHED);
  await versionPackages();
  readVersions(second);
  await changeset(['publish', '--no-git-tag']);
  await fetchAll(servedSecond);
}, 180_000);

afterAll(() => {
  // The registry and anything a failed step left running (each child leads its own group).
  killAllChildren();
  if (temp) rmSync(temp, { recursive: true, force: true });
});

describe('a release with changesets to a local registry', () => {
  it('publishes core, the adapters and the wsgate command at the versions changesets chose', () => {
    for (const name of PUBLIC_PACKAGE_NAMES) {
      const version = first.get(name) ?? '';
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
      expect(Object.keys(servedFirst.get(name)?.versions ?? {}), name).toEqual([version]);
      expect(servedFirst.get(name)?.['dist-tags'].latest, name).toBe(version);
    }
  });

  it('records the new versions in the lockfile, so npm ci keeps working after a release', () => {
    const lock = readJson<{ packages: Record<string, { version?: string }> }>(
      join(workspace, 'package-lock.json'),
    );
    for (const pkg of publicPackages(workspace)) {
      expect(lock.packages[pkg.dir]?.version, pkg.dir).toBe(second.get(pkg.manifest.name));
    }
  });

  it('never versions or publishes a private package', () => {
    const before = new Map(workspacePackages().map((pkg) => [pkg.manifest.name, pkg.manifest]));
    for (const pkg of workspacePackages(workspace)) {
      if (pkg.manifest.private !== true) continue;
      expect(pkg.manifest.version, pkg.dir).toBe(before.get(pkg.manifest.name)?.version);
    }
    for (const name of PRIVATE_NAMES) {
      expect(servedSecond.get(name), `${name} reached the registry`).toBeUndefined();
    }
    expect(PRIVATE_NAMES).toEqual(
      expect.arrayContaining(['@wsgate/test-kit', '@wsgate/nest-demo']),
    );
  });

  it('releases the five packages with one version, the first time and every time', () => {
    const [firstVersion, secondVersion] = [first.get('@wsgate/core'), second.get('@wsgate/core')];
    for (const name of PUBLIC_PACKAGE_NAMES) {
      expect(first.get(name), name).toBe(firstVersion);
      expect(second.get(name), name).toBe(secondVersion);
    }
  });

  it('a patch changeset for core and express publishes the whole fixed group at the next patch', () => {
    for (const name of PUBLIC_PACKAGE_NAMES) {
      const served = servedSecond.get(name);
      const versions = Object.keys(served?.versions ?? {}).sort();
      expect(second.get(name), name).toBe(nextPatch(first.get(name) ?? ''));
      expect(versions, name).toEqual([first.get(name), second.get(name)].sort());
      expect(served?.['dist-tags'].latest, name).toBe(second.get(name));
    }
  });

  it('a released dependent asks for the core released with it, by a caret range', () => {
    const versionOf = (name: string) => servedSecond.get(name)?.versions[second.get(name) ?? ''];
    for (const name of ADAPTERS) {
      expect(versionOf(name)?.dependencies, name).toEqual({
        '@wsgate/core': `^${second.get('@wsgate/core')}`,
      });
    }
  });

  it('writes each release into the changelog of the package it bumps', () => {
    for (const pkg of publicPackages(workspace)) {
      const name = pkg.manifest.name;
      const changelog = readFileSync(join(workspace, pkg.dir, 'CHANGELOG.md'), 'utf8');
      expect(changelog.split('\n')[0]).toBe(`# ${name}`);
      const older = changelog.indexOf(`## ${first.get(name)}`);
      expect(older, name).toBeGreaterThan(0);
      const newer = changelog.indexOf(`## ${second.get(name)}`);
      expect(newer, name).toBeGreaterThan(0);
      expect(newer, `${name}: the newest release comes first`).toBeLessThan(older);
    }
  });
});

describe('a fresh project that installs the adapters from the registry', () => {
  let project = '';
  let projectEnv: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    project = join(temp, 'consumer');
    mkdirSync(project);
    for (const file of [
      'express.mjs',
      'express.cjs',
      'koa.mjs',
      'koa.cjs',
      'nest.mjs',
      'nest.cjs',
      'entries.mjs',
      'entries.cjs',
      'typed.mts',
      'typed.cts',
      'tsconfig.json',
      'tsconfig.cjs.json',
      'tsconfig.bundler.json',
      'tsconfig.node10.json',
    ]) {
      cpSync(join(here, 'consumer', file), join(project, file));
    }
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'wsgate-consumer', version: '1.0.0', private: true }, null, 2)}\n`,
    );
    // Only the @wsgate scope comes from the local registry; everything else from npm's registry.
    writeFileSync(join(project, '.npmrc'), `@wsgate:registry=${registryUrl}\n`);
    projectEnv = userEnv({ npm_config_cache: join(temp, 'npm-cache') });

    // `wsgate` has no scope, so a person installs it from npm; here it is the local tarball.
    const wsgate = servedSecond.get('wsgate')?.versions[second.get('wsgate') ?? '']?.dist.tarball;
    await runOk(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '@wsgate/core',
        ...ADAPTERS,
        `wsgate@${wsgate}`,
        ...frameworks(),
      ],
      { cwd: project, env: projectEnv, timeoutMs: 240_000 },
    );
  }, 300_000);

  it('gets the latest release of each package, and one core that every adapter shares', () => {
    for (const name of ['@wsgate/core', ...ADAPTERS, 'wsgate']) {
      const installed = join(project, 'node_modules', name);
      expect(readJson(join(installed, 'package.json')).version, name).toBe(second.get(name));
      expect(readFileSync(join(installed, 'CHANGELOG.md'), 'utf8')).toContain(
        `## ${second.get(name)}`,
      );
      expect(existsSync(join(installed, 'LICENSE')), name).toBe(true);
      expect(existsSync(join(installed, 'node_modules')), `${name} has a nested copy`).toBe(false);
      const shipped = readdirSync(installed, { recursive: true, encoding: 'utf8' });
      expect(
        shipped.filter((file) => /\.map$|^(src|test)\b|tsconfig/.test(file)),
        name,
      ).toEqual([]);
    }
    const saved = readJson<{ dependencies: Record<string, string> }>(join(project, 'package.json'));
    expect(saved.dependencies['@wsgate/express']).toBe(`^${second.get('@wsgate/express')}`);
  });

  it.each([
    ['express.mjs', 'hello from express (import)'],
    ['express.cjs', 'hello from express (require)'],
    ['koa.mjs', 'hello from koa (import)'],
    ['koa.cjs', 'hello from koa (require)'],
    ['nest.mjs', 'hello from nest (import)'],
    ['nest.cjs', 'hello from nest (require)'],
  ])(
    '%s completes a WebSocket echo',
    async (file, text) => {
      const { stdout } = await runOk(process.execPath, [file], {
        cwd: project,
        env: projectEnv,
        timeoutMs: 30_000,
      });
      expect(stdout.trim().split('\n')).toContain(`echo: ${text}`);
    },
    40_000,
  );

  it.each([
    ['entries.mjs', 'import'],
    ['entries.cjs', 'require'],
  ])(
    '%s loads @wsgate/core, @wsgate/core/adapter and @wsgate/core/protocol with %s',
    async (file) => {
      const { stdout } = await runOk(process.execPath, [file], {
        cwd: project,
        env: projectEnv,
        timeoutMs: 30_000,
      });
      expect(stdout.trim().split('\n')).toEqual([
        'core: true',
        'adapter: /entries',
        'protocol: 1001 WSG_SERVER_SHUTDOWN',
      ]);
    },
    40_000,
  );

  it.each([
    ['ESM, nodenext', 'tsconfig.json'],
    ['CommonJS, nodenext', 'tsconfig.cjs.json'],
    ['ESM, bundler', 'tsconfig.bundler.json'],
    ['CommonJS, node10 through typesVersions', 'tsconfig.node10.json'],
  ])(
    'a TypeScript consumer (%s) type-checks against the published declarations',
    async (_, config) => {
      const result = await runTsc(project, config);
      // Errors inside other libraries' typings (not ours) are their business; ours and the
      // consumer's own files must be clean.
      const ours = result
        .split('\n')
        .filter((line) => /error TS\d+/.test(line))
        .filter(
          (line) => !line.includes('node_modules/') || line.includes('node_modules/@wsgate/'),
        );
      expect(ours).toEqual([]);
    },
    150_000,
  );

  it('the wsgate command runs from the installed package', async () => {
    const { stdout } = await runOk(join(project, 'node_modules', '.bin', 'wsgate'), ['help'], {
      cwd: project,
      env: projectEnv,
      timeoutMs: 30_000,
    });
    expect(stdout).toContain('doctor');
  }, 40_000);
});

/** The framework versions this repo tests against, from the adapters' dev dependencies. */
function frameworks(): string[] {
  const pinned = new Map<string, string>();
  for (const pkg of [...publicPackages(), { manifest: readJson(join(repoRoot, 'package.json')) }]) {
    for (const [name, version] of Object.entries(
      (pkg.manifest.devDependencies ?? {}) as Record<string, string>,
    )) {
      if (!version.startsWith('npm:')) pinned.set(name, version);
    }
  }
  const names = [
    'express',
    'koa',
    '@nestjs/common',
    '@nestjs/core',
    '@nestjs/platform-express',
    '@nestjs/websockets',
    'reflect-metadata',
    'rxjs',
    '@types/node',
    '@types/express',
    '@types/koa',
  ];
  return names.map((name) => {
    const version = pinned.get(name);
    if (!version) throw new Error(`no dev dependency pins ${name}`);
    return `${name}@${version}`;
  });
}

/** tsc's diagnostics for one consumer project (tsc exits 2 when it finds any). */
async function runTsc(cwd: string, config: string): Promise<string> {
  const result = await run(process.execPath, [tscBin, '-p', config, '--pretty', 'false'], {
    cwd,
    env: userEnv({}),
    timeoutMs: 120_000,
  });
  if (result.code !== 0 && !/error TS\d+/.test(result.stdout)) {
    throw new Error(`tsc -p ${config} failed without diagnostics\n${result.stderr}`);
  }
  return result.stdout;
}

/** Starts Verdaccio in a child process; resolves with its URL once it listens. */
function startRegistry(dir: string): Promise<string> {
  const script = join(here, 'registry', 'local-registry.mjs');
  const child = spawnTracked(process.execPath, [script, dir], { cwd: here, env: userEnv({}) });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the local registry did not start within 30 s\n${output}`));
    }, 30_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const url = /\{"url":"(http:\/\/127\.0\.0\.1:\d+\/)"\}/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the local registry exited with ${code}\n${output}`));
    });
  });
}

/** Creates a user on the registry (what `npm adduser` does) and returns its token. */
async function addUser(url: string): Promise<string> {
  const response = await fetch(`${url}-/user/org.couchdb.user:release-test`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'release-test', password: 'release-test-password' }),
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || !body.token) throw new Error(`adduser: ${response.status}`);
  return body.token;
}

/** The repo without node_modules and caches; the root node_modules is linked, not copied. */
function copyWorkspace(dest: string): string {
  const skip = new Set(['node_modules', '.git', '.turbo', 'coverage', 'test-results']);
  cpSync(repoRoot, dest, {
    recursive: true,
    filter: (source) => {
      const name = basename(source);
      if (skip.has(name)) return false;
      return !(relative(repoRoot, source) === name && name.startsWith('tmp-'));
    },
  });
  symlinkSync(join(repoRoot, 'node_modules'), join(dest, 'node_modules'), 'dir');
  return dest;
}

function writeChangeset(id: string, bump: string, names: readonly string[]): void {
  const releases = names.map((name) => `"${name}": ${bump}`).join('\n');
  const text = `---\n${releases}\n---\n\nRelease test: ${id}.\n`;
  writeFileSync(join(workspace, '.changeset', `${id}.md`), text);
}

/** The documented versioning step: `changeset version`, then the lockfile follows. */
async function versionPackages(): Promise<void> {
  await runOk('npm', ['run', 'version-packages'], {
    cwd: workspace,
    env: publishEnv,
    timeoutMs: 120_000,
  });
}

async function changeset(args: readonly string[]): Promise<void> {
  await runOk(process.execPath, [changesetBin, ...args], {
    cwd: workspace,
    env: publishEnv,
    timeoutMs: 120_000,
  });
}

function readVersions(into: Map<string, string>): void {
  for (const pkg of publicPackages(workspace)) into.set(pkg.manifest.name, pkg.manifest.version);
}

async function fetchAll(into: Map<string, Packument | undefined>): Promise<void> {
  for (const name of [...PUBLIC_PACKAGE_NAMES, ...PRIVATE_NAMES]) {
    const response = await fetch(`${registryUrl}${name.replace('/', '%2f')}`);
    into.set(name, response.status === 404 ? undefined : ((await response.json()) as Packument));
  }
}
