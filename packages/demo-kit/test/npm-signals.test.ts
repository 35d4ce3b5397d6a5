import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const started: ChildProcess[] = [];

/**
 * Runs an npm script as a person would, and resolves with the URLs the apps print. The PID we
 * signal is npm's own: what `kill <pid>` or a process manager reaches.
 */
function npm(
  args: readonly string[],
  apps: number,
): { child: ChildProcess; urls: Promise<string[]> } {
  const child = spawn('npm', [...args], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that cleanup after a failure reaches the apps too.
    detached: true,
  });
  started.push(child);
  let output = '';
  const urls = new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`URLs not printed:\n${output}`)), 60_000);
    const onOutput = (chunk: Buffer): void => {
      output += chunk.toString();
      const found = [...output.matchAll(/-demo listening on (http:\/\/127\.0\.0\.1:\d+)\//g)];
      if (found.length === apps) {
        clearTimeout(timer);
        resolve(found.map((match) => String(match[1])));
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`npm exited before the apps listened:\n${output}`));
    });
  });
  return { child, urls };
}

function openEcho(url: string): Promise<{ closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/echo`);
    const closed = new Promise<number>((done) =>
      socket.once('close', (code: number) => done(code)),
    );
    socket.once('open', () => resolve({ closed }));
    socket.once('error', reject);
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Resolves once nothing accepts connections at the URL any more (the app's process is gone). */
async function refused(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/framework`);
    return false;
  } catch {
    return true;
  }
}

afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    await exited(child);
  }
});

describe('signals sent to npm reach the demo apps', () => {
  for (const app of ['express-demo', 'koa-demo', 'nest-demo']) {
    it(`kill <pid of npm start -w apps/${app}> closes its WebSockets with 1001 and frees its port`, async () => {
      const running = npm(['start', '-w', `apps/${app}`], 1);
      const [url] = await running.urls;
      const socket = await openEcho(String(url));
      running.child.kill('SIGTERM');
      expect(await socket.closed).toBe(1001);
      await exited(running.child);
      expect(await refused(String(url))).toBe(true);
    }, 40_000);
  }

  it('kill <pid of npm run demo> stops all three apps, each closing its WebSockets with 1001', async () => {
    const running = npm(['run', 'demo'], 3);
    const urls = await running.urls;
    const sockets = await Promise.all(urls.map(openEcho));
    running.child.kill('SIGTERM');
    expect(await Promise.all(sockets.map((socket) => socket.closed))).toEqual([1001, 1001, 1001]);
    await exited(running.child);
    for (const url of urls) expect(await refused(url)).toBe(true);
  }, 90_000);
});
