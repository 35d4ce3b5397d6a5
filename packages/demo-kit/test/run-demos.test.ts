import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** What `npm run demo` runs after the build, with PORT=0 so that each app takes a free port. */
function runDemos(): {
  child: ChildProcess;
  urls: Promise<string[]>;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['scripts/run-demos.mjs'], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const urls = new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`three URLs not printed:\n${output}`)), 20_000);
    const onOutput = (chunk: Buffer): void => {
      output += chunk.toString();
      const found = [...output.matchAll(/(\w+-demo) listening on (http:\/\/127\.0\.0\.1:\d+)\//g)];
      if (found.length === 3) {
        clearTimeout(timer);
        resolve(
          found.sort((a, b) => String(a[1]).localeCompare(String(b[1]))).map((m) => String(m[2])),
        );
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('exit', () => reject(new Error(`exited before listening:\n${output}`)));
  });
  return { child, urls, exited };
}

describe('npm run demo (scripts/run-demos.mjs)', () => {
  let running: ReturnType<typeof runDemos>;
  beforeAll(() => {
    running = runDemos();
  });
  afterAll(async () => {
    const { child, exited } = running ?? {};
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    // SIGTERM first: the runner stops its three apps; SIGKILL would leave them running.
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    await exited;
    clearTimeout(timer);
  });

  it('starts the Express, Koa and Nest demos, and stops all three on SIGTERM with 1001 to their clients', async () => {
    const [express, koa, nest] = await running.urls;
    const frameworks = await Promise.all(
      [express, koa, nest].map(async (url) => (await fetch(`${url}/framework`)).text()),
    );
    expect(frameworks).toEqual([
      expect.stringMatching(/^Express 5\./),
      expect.stringMatching(/^Koa 3\./),
      expect.stringMatching(/^NestJS 12\./),
    ]);
    // Each socket's close code, listened for from the start (a promise inside an object, so
    // that awaiting the open does not wait for the close).
    const sockets = await Promise.all(
      [express, koa, nest].map(
        (url) =>
          new Promise<{ closed: Promise<number> }>((resolve, reject) => {
            const socket = new WebSocket(`${String(url).replace('http', 'ws')}/echo`);
            const closed = new Promise<number>((done) =>
              socket.once('close', (code: number) => done(code)),
            );
            socket.once('open', () => resolve({ closed }));
            socket.once('error', reject);
          }),
      ),
    );
    const started = Date.now();
    running.child.kill('SIGTERM');
    expect(await Promise.all(sockets.map((socket) => socket.closed))).toEqual([1001, 1001, 1001]);
    expect(await running.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(6_000);
    for (const url of [express, koa, nest]) {
      await expect(fetch(`${url}/framework`)).rejects.toThrow();
    }
  }, 40_000);
});
