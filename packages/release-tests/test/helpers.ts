import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly [field: string]: unknown;
}

export interface WorkspacePackage {
  /** Folder relative to the repo root, e.g. `packages/express`. */
  readonly dir: string;
  readonly manifest: Manifest;
}

export function readJson<T = Manifest>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Every workspace package of `root` (root package.json `workspaces`: folders and `dir/*`). */
export function workspacePackages(root = repoRoot): WorkspacePackage[] {
  const { workspaces } = readJson<{ workspaces: string[] }>(join(root, 'package.json'));
  const dirs = workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`);
  });
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => ({ dir, manifest: readJson(join(root, dir, 'package.json')) }));
}

/** The packages a release publishes: every workspace package not marked private. */
export function publicPackages(root = repoRoot): WorkspacePackage[] {
  return workspacePackages(root).filter((pkg) => pkg.manifest.private !== true);
}

export const PUBLIC_PACKAGE_NAMES = [
  '@wsgate/core',
  '@wsgate/express',
  '@wsgate/koa',
  '@wsgate/nestjs',
  '@wsgate/redis',
  'wsgate',
] as const;

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

/** Children still running, so that a failing test can stop them all (each is its own group). */
const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // detached: the child leads its own process group, which holds whatever npm spawned.
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Kills every child started by run() or spawnTracked() that is still running. */
export function killAllChildren(): void {
  for (const child of running) killGroup(child);
  running.clear();
}

/** Starts a child in its own process group and remembers it for killAllChildren(). */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: Omit<RunOptions, 'timeoutMs'>,
): ChildProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Runs a command to its end; past `timeoutMs` its whole process group is killed. */
export function run(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(command, args, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      killGroup(child);
      reject(
        new Error(
          `${describe(command, args)} still running after ${options.timeoutMs} ms; killed\n${tail(stdout, stderr)}`,
        ),
      );
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** run(), failing with the command's output unless it exits 0. */
export async function runOk(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${describe(command, args)} in ${options.cwd} exited with ${result.code ?? result.signal}\n${tail(result.stdout, result.stderr)}`,
    );
  }
  return result;
}

function describe(command: string, args: readonly string[]): string {
  return [command, ...args].join(' ');
}

function tail(stdout: string, stderr: string): string {
  const last = (text: string) => text.split('\n').slice(-40).join('\n');
  return `--- stdout (end)\n${last(stdout)}\n--- stderr (end)\n${last(stderr)}`;
}

/** How this machine reaches npm's registry: kept, whoever set it. */
const NETWORK_SETTING = /^npm_config_(registry|proxy|https_proxy|noproxy|cafile|ca|strict_ssl)$/i;

/**
 * The environment of a person's shell rather than of `npm test`: without the npm_* variables an
 * npm script exports (they would point npm at this repo), Vitest's, or NODE_ENV.
 */
export function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (NETWORK_SETTING.test(key)) {
      env[key.toLowerCase()] = value;
      continue;
    }
    if (/^(npm_|vitest|INIT_CWD$|NODE_ENV$|NODE_OPTIONS$|TEST$)/i.test(key)) continue;
    env[key] = value;
  }
  // npm run puts this repo's node_modules/.bin first on PATH; a person's shell has none of it.
  env.PATH = (env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.startsWith(repoRoot))
    .join(delimiter);
  // The local registry must never be asked through a proxy the machine may have set.
  const noProxy = [env.npm_config_noproxy ?? env.NO_PROXY ?? env.no_proxy, '127.0.0.1', 'localhost']
    .filter(Boolean)
    .join(',');
  return {
    ...env,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    npm_config_noproxy: noProxy,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

/** `x.y.z` plus one patch. */
export function nextPatch(version: string): string {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) throw new Error(`not a plain x.y.z version: ${version}`);
  return `${match[1]}.${match[2]}.${Number(match[3]) + 1}`;
}
