// Every TypeScript snippet of the READMEs is a program a user can paste: the public packages are
// packed from the built workspace and installed, with the frameworks from npm, into a fresh
// project set up as the repo README says (ESM, its tsconfig.json, the overrides the Nest README
// gives for Node 20). One tsc run compiles every snippet; each server snippet then runs and
// answers a real client: an echo on /echo, 404 for a path nobody serves, 426 for a plain GET.
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killAllChildren,
  publicPackages,
  repoRoot,
  run,
  runOk,
  spawnTracked,
  userEnv,
} from './helpers.js';
import {
  echoOf,
  freePort,
  jsonBlock,
  pinnedVersions,
  plainGet,
  READMES,
  type Snippet,
  typescriptSnippets,
  upgradeAnswer,
  waitForListener,
} from './readme-snippets.js';

/** The servers each README must hold: what a reader of it starts first. */
const SERVERS: Record<(typeof READMES)[number], number> = {
  'README.md': 4,
  'packages/core/README.md': 0,
  'packages/express/README.md': 1,
  'packages/koa/README.md': 1,
  'packages/nestjs/README.md': 1,
  'packages/cli/README.md': 0,
};

/** What a user installs beside the packages, at the versions this repo tests against. */
const FRAMEWORKS = [
  '@opentelemetry/api',
  '@opentelemetry/exporter-prometheus',
  '@opentelemetry/sdk-metrics',
  'express',
  'koa',
  '@koa/router',
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/websockets',
  'reflect-metadata',
  'rxjs',
  'typescript',
  '@types/node',
  '@types/express',
  '@types/koa',
];

const snippets = typescriptSnippets();
const servers = snippets.filter((snippet) => snippet.server);
let temp = '';
let project = '';
let installOutput = '';
let compiled: { code: number | null; diagnostics: string } | undefined;

beforeAll(async () => {
  for (const pkg of publicPackages()) {
    if (!existsSync(join(repoRoot, pkg.dir, 'dist', 'esm'))) {
      throw new Error(`${pkg.dir} is not built: run npm run build first`);
    }
  }
  temp = mkdtempSync(join(tmpdir(), 'wsgate-readme-'));
  const tarballs = join(temp, 'tarballs');
  mkdirSync(tarballs);
  const env = userEnv({});
  await runOk(
    'npm',
    [
      'pack',
      ...publicPackages().flatMap((pkg) => ['--workspace', pkg.dir]),
      '--pack-destination',
      tarballs,
      '--ignore-scripts',
    ],
    { cwd: repoRoot, env, timeoutMs: 60_000 },
  );

  project = join(temp, 'app');
  mkdirSync(join(project, 'src'), { recursive: true });
  const { overrides } = jsonBlock('packages/nestjs/README.md', 'overrides');
  const manifest = { name: 'readme-snippets', private: true, type: 'module', overrides };
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const tsconfig = jsonBlock('README.md', 'compilerOptions');
  writeFileSync(join(project, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  for (const snippet of snippets) {
    writeFileSync(join(project, 'src', `${snippet.name}.ts`), snippet.text);
  }

  const installed = await runOk(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      ...readdirSync(tarballs).map((file) => join(tarballs, file)),
      ...pinnedVersions(FRAMEWORKS),
    ],
    { cwd: project, env, timeoutMs: 240_000 },
  );
  installOutput = installed.stdout + installed.stderr;

  const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: project,
    env,
    timeoutMs: 120_000,
  });
  compiled = { code: result.code, diagnostics: result.stdout + result.stderr };
}, 420_000);

afterAll(() => {
  killAllChildren();
  if (temp) rmSync(temp, { recursive: true, force: true });
});

describe('the READMEs', () => {
  it('hold TypeScript snippets, and each adapter README a server a reader can start', () => {
    const counted = Object.fromEntries(
      READMES.map((readme) => [readme, servers.filter((s) => s.readme === readme).length]),
    );
    expect(counted).toEqual(SERVERS);
    expect(snippets.length).toBeGreaterThan(servers.length);
  });

  it('state the module setting the snippets are compiled in: ESM with NodeNext', () => {
    const { compilerOptions } = jsonBlock('README.md', 'compilerOptions') as {
      compilerOptions: Record<string, unknown>;
    };
    expect(compilerOptions).toMatchObject({
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
    });
    for (const readme of ['README.md', 'packages/express/README.md', 'packages/koa/README.md']) {
      expect(readFileSync(join(repoRoot, readme), 'utf8'), readme).toContain('"type": "module"');
    }
  });

  it('install on this Node without an EBADENGINE warning, with the Nest README overrides', () => {
    expect(installOutput).not.toMatch(/EBADENGINE/);
  });

  it('compile, every TypeScript snippet, with tsc in that setting and no diagnostics', () => {
    expect(compiled?.diagnostics.trim()).toBe('');
    expect(compiled?.code).toBe(0);
    for (const snippet of snippets) {
      expect(existsSync(join(project, 'dist', `${snippet.name}.js`)), snippet.name).toBe(true);
    }
  });
});

describe.each(servers.map((snippet) => [`${snippet.readme}:${snippet.line}`, snippet] as const))(
  'the server of %s',
  (_, snippet) => {
    it('echoes on /echo, answers 404 for an unknown path and 426 for a plain GET, and stops on SIGTERM', async () => {
      expect(compiled?.code, 'the snippets did not compile').toBe(0);
      await runServer(snippet, async (port) => {
        const text = JSON.stringify({ event: 'echo', data: `hello from ${snippet.name}` });
        expect(await echoOf(port, '/echo', text)).toBe(text);

        const unknown = await upgradeAnswer(port, '/no-such-path');
        expect(unknown.status).toBe(404);
        expect(unknown.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');

        const plain = await plainGet(port, '/echo');
        expect(plain.status).toBe(426);
        expect(plain.headers.upgrade).toBe('websocket');
      });
    }, 60_000);
  },
);

/** Runs a compiled snippet on a free port, probes it, then stops it with SIGTERM. */
async function runServer(snippet: Snippet, probe: (port: number) => Promise<void>): Promise<void> {
  const port = await freePort();
  const child = spawnTracked(process.execPath, [join('dist', `${snippet.name}.js`)], {
    cwd: project,
    env: userEnv({ PORT: String(port) }),
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await waitForListener(port, child, 30_000, () => output);
  await probe(port);

  child.kill('SIGTERM');
  const stopped = await Promise.race([
    exited,
    new Promise<undefined>((resolve) => setTimeout(resolve, 10_000, undefined)),
  ]);
  expect(stopped, `still running 10 s after SIGTERM\n${output}`).toBeDefined();
  const [code, signal] = stopped ?? [null, null];
  // Nest's shutdown hooks close the app, then end the process with the signal itself.
  expect(code === 0 || signal === 'SIGTERM', `exit ${code ?? signal}\n${output}`).toBe(true);
}
