import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

// `wsgate echo` run as a user runs it: the built bin, a real process, real sockets.

const BIN = fileURLToPath(new URL('../bin/wsgate.js', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Echo {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** Starts `wsgate echo` with `args` and resolves with the URL it prints once listening. */
function startEcho(args: readonly string[]): Promise<Echo> {
  const child = spawn(process.execPath, [BIN, 'echo', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`wsgate echo did not start:\n${stdout}${stderr}`)),
      15_000,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /listening on (ws:\/\/\S+\/)/.exec(stdout)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ child, url, output: () => stdout + stderr, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`wsgate echo exited with ${code}:\n${stdout}${stderr}`));
    });
  });
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function echoOf(
  socket: WebSocket,
  data: string | Buffer,
): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => {
    socket.once('message', (answer: Buffer, isBinary: boolean) =>
      resolve({ data: answer, isBinary }),
    );
    socket.send(data);
  });
}

function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    socket.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString() }),
    ),
  );
}

describe('wsgate echo', () => {
  it('echoes text as text and binary as binary on any path, with permessage-deflate', async () => {
    const echo = await startEcho(['--port', '0', '--quiet']);
    expect(echo.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    for (const path of ['', 'echo', 'any/deep/path?with=query']) {
      const socket = await open(`${echo.url}${path}`);
      expect(socket.extensions).toContain('permessage-deflate');
      const text = await echoOf(socket, 'héllo from the cli test');
      expect(text).toEqual({ data: Buffer.from('héllo from the cli test'), isBinary: false });
      const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff]);
      expect(await echoOf(socket, bytes)).toEqual({ data: bytes, isBinary: true });
      const big = Buffer.alloc(3 * 1024 * 1024, 'wsgate ');
      const echoed = await echoOf(socket, big.toString());
      expect(echoed.isBinary).toBe(false);
      expect(echoed.data.equals(big)).toBe(true);
      const done = closed(socket);
      socket.close(1000);
      expect((await done).code).toBe(1000);
    }
  });

  it('closes with 1009 WSG_MESSAGE_TOO_BIG beyond --max-payload', async () => {
    const echo = await startEcho(['--port', '0', '--max-payload', '1000', '--quiet']);
    const socket = await open(echo.url);
    expect((await echoOf(socket, Buffer.alloc(1000, 7))).data.length).toBe(1000);
    const done = closed(socket);
    socket.send(Buffer.alloc(1001, 7));
    const { code, reason } = await done;
    expect(code).toBe(1009);
    expect(reason.startsWith('WSG_MESSAGE_TOO_BIG')).toBe(true);
  });

  it('listens on the IPv6 loopback with --host ::1', async () => {
    const echo = await startEcho(['--port', '0', '--host', '::1', '--quiet']);
    expect(echo.url).toMatch(/^ws:\/\/\[::1\]:\d+\/$/);
    const socket = await open(echo.url);
    expect(await echoOf(socket, 'over ipv6')).toEqual({
      data: Buffer.from('over ipv6'),
      isBinary: false,
    });
    socket.close();
  });

  it('logs refusals as JSON events on stderr unless --quiet', async () => {
    const echo = await startEcho(['--port', '0']);
    const refused = await fetch(echo.url.replace('ws://', 'http://'));
    expect(refused.status).toBe(426);
    expect(await refused.text()).toContain('WSG_NOT_WEBSOCKET');
    await expect
      .poll(() => echo.output(), { timeout: 5_000 })
      .toContain('"code":"WSG_NOT_WEBSOCKET"');
  });

  it('closes every connection with 1001 on SIGTERM and exits with 0', async () => {
    const echo = await startEcho(['--port', '0', '--quiet']);
    const socket = await open(`${echo.url}chat`);
    const done = closed(socket);
    echo.child.kill('SIGTERM');
    const { code, reason } = await done;
    expect(code).toBe(1001);
    expect(reason.startsWith('WSG_SERVER_SHUTDOWN')).toBe(true);
    expect(await echo.exited).toBe(0);
  });

  it('exits with 2 (usage) and says why for a --port that is not a number', async () => {
    const child = spawn(process.execPath, [BIN, 'echo', '--port', 'nine'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('--port takes a whole number');
  });
});
