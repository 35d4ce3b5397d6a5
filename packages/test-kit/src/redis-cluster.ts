import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';

const run = promisify(execFile);

/** Every key hashes to one of these slots (Redis Cluster specification, "Key distribution model"). */
const SLOTS = 16_384;

/** A real Redis Cluster of Debian's redis-server processes, for one test file. */
export interface RedisCluster {
  /** `redis://127.0.0.1:PORT` of each master, in slot order. */
  readonly urls: readonly string[];
  /** What node-redis's `createCluster` takes: every master as a root node. */
  readonly rootNodes: readonly { readonly url: string }[];
  /** Kills every node (SIGKILL, by PID) and removes their files. */
  kill(): Promise<void>;
}

export interface RedisClusterOptions {
  /** How many masters share the slots (default 3, the smallest cluster Redis recommends). */
  readonly masters?: number;
  /** How long to wait for `cluster_state:ok` on every node (default 15 s). */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts `masters` redis-server processes with `--cluster-enabled yes` on free loopback ports (and
 * a free cluster bus port each), gives each an equal range of the 16384 slots, introduces them
 * with CLUSTER MEET, and resolves once every node says `cluster_state:ok` and knows every other
 * one: polled, within `readyTimeoutMs`. No replicas, no persistence.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'wsgate-redis-cluster-'));
  const children: ChildProcess[] = [];
  const kill = async (): Promise<void> => {
    await Promise.all(children.splice(0).map(killNode));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const taken: number[] = [];
    const nodePorts: number[] = [];
    const busPorts: number[] = [];
    for (let i = 0; i < masters; i++) {
      const port = await distinctFreePort(taken);
      taken.push(port);
      const busPort = await distinctFreePort(taken);
      taken.push(busPort);
      children.push(await spawnNode(port, busPort, dir));
      nodePorts.push(port);
      busPorts.push(busPort);
    }
    for (const [i, port] of nodePorts.entries()) {
      const first = Math.floor((i * SLOTS) / masters);
      const last = Math.floor(((i + 1) * SLOTS) / masters) - 1;
      await cli(port, 'CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
    }
    // The bus port is named: without it, MEET assumes the node's port + 10000.
    const seed = nodePorts[0] as number;
    for (const [i, port] of nodePorts.entries()) {
      if (i === 0) continue;
      await cli(seed, 'CLUSTER', 'MEET', '127.0.0.1', String(port), String(busPorts[i]));
    }
    await untilReady(nodePorts, options.readyTimeoutMs ?? 15_000);
    const urls = nodePorts.map((port) => `redis://127.0.0.1:${port}`);
    return { urls, rootNodes: urls.map((url) => ({ url })), kill };
  } catch (error) {
    await kill();
    throw error;
  }
}

async function distinctFreePort(taken: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    if (!taken.includes(port)) return port;
  }
  throw new Error('no distinct free port for the Redis Cluster');
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 5_000,
  });
  if (stdout.startsWith('ERR') || stdout.startsWith('(error)'))
    throw new Error(`redis-cli -p ${port} ${args.join(' ')}: ${stdout.trim()}`);
  return stdout;
}

/** Bounded polling of CLUSTER INFO: every node sees every slot served and every other node. */
async function untilReady(ports: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const infos = await Promise.all(ports.map((port) => cli(port, 'CLUSTER', 'INFO')));
    const ready = infos.every(
      (info) =>
        info.includes('cluster_state:ok') &&
        info.includes(`cluster_slots_ok:${SLOTS}`) &&
        info.includes(`cluster_known_nodes:${ports.length}`),
    );
    if (ready) return;
    last = infos.join('\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the Redis Cluster was not ready within ${timeoutMs} ms:\n${last}`);
}

function spawnNode(port: number, busPort: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ...['--cluster-enabled', 'yes', '--cluster-port', String(busPort)],
      ...['--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server (cluster) did not start on ${port}: ${output}`));
    }, 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server (cluster) exited with ${code}: ${output}`));
    });
  });
}

async function killNode(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
