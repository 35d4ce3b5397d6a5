import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { createServer } from '@wsgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import type { DoctorReport } from '../src/main.js';
import { Cleanup, listen, probe, rawServer, tempDir } from './helpers.js';

// The doctor behind a real reverse proxy: Debian's nginx, started by the test on loopback.
// `.ci/run` installs it (apt-get install nginx).

const cleanup = new Cleanup();
let nginxPort: number;

function nginxBinary(): string {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('these tests need nginx (apt-get install -y nginx; .ci/run installs it)');
  }
}

/** A port that was free a moment ago: nginx cannot listen on port 0 and report it. */
async function freePort(): Promise<number> {
  const server = createNetServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The WebSocket lines nginx needs to pass an upgrade through (its docs: "WebSocket proxying"). */
const WEBSOCKET_LINES =
  'proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";';

/** Starts nginx in the foreground, single process, everything under `dir`; resolves with its port. */
async function startNginx(dir: string, locations: string): Promise<number> {
  const binary = nginxBinary();
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
      mkdirSync(join(dir, sub), { recursive: true });
    const config = join(dir, 'nginx.conf');
    writeFileSync(
      config,
      `daemon off;
master_process off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  server {
    listen 127.0.0.1:${port};
${locations}
  }
}
`,
    );
    const child: ChildProcess = spawn(
      binary,
      ['-p', dir, '-c', config, '-e', join(dir, 'error.log')],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const deadline = Date.now() + 5_000;
    while (!exited && Date.now() < deadline) {
      if (await connects(port)) {
        cleanup.add(
          () =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        );
        return port;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    if (!/Address already in use/.test(stderr)) throw new Error(`nginx did not start: ${stderr}`);
  }
  throw new Error('nginx found no free port in 3 attempts');
}

beforeAll(async () => {
  // wsgate echo, a ws-library echo, a port where nothing listens, and one that never answers.
  const wsgate = await createServer({ host: '127.0.0.1', port: 0 });
  wsgate.on('connection', (connection) =>
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary })),
  );
  cleanup.add(() => wsgate.close({ timeoutMs: 100 }));
  const wsgatePort = wsgate.address()?.port as number;
  const wsLibrary = new WsServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wsLibrary.once('listening', () => resolve()));
  cleanup.add(() => new Promise<void>((resolve) => wsLibrary.close(() => resolve())));
  const wsLibraryPort = (wsLibrary.address() as { port: number }).port;
  const downPort = await freePort();
  const silentPort = await rawServer(() => {}, cleanup);
  nginxPort = await startNginx(
    tempDir(cleanup, 'wsgate-nginx-'),
    `
    location /proxied/ { proxy_pass http://127.0.0.1:${wsgatePort}/; }
    location /ws-library/ { proxy_pass http://127.0.0.1:${wsLibraryPort}/; }
    location /websocket/ { proxy_pass http://127.0.0.1:${wsgatePort}/; ${WEBSOCKET_LINES} }
    location /down/ { proxy_pass http://127.0.0.1:${downPort}/; ${WEBSOCKET_LINES} }
    location /slow/ { proxy_pass http://127.0.0.1:${silentPort}/; ${WEBSOCKET_LINES} proxy_read_timeout 1s; }`,
  );
}, 30_000);
afterAll(() => cleanup.run());

function failure(report: DoctorReport, code: string): NonNullable<DoctorReport['diagnosis']> {
  expect(report.exitCode, report.diagnosis?.summary).toBe(1);
  expect(report.diagnosis?.code).toBe(code);
  expect(report.diagnosis?.step).toBe('upgrade');
  return report.diagnosis as NonNullable<DoctorReport['diagnosis']>;
}

describe('doctor behind nginx', () => {
  it('nginx without the WebSocket lines, in front of wsgate: the dropped Upgrade is named, with nginx and the lines to add', async () => {
    const diagnosis = failure(
      await probe(`ws://127.0.0.1:${nginxPort}/proxied/chat`),
      'WSG_RESPONSE_UPGRADE_REQUIRED',
    );
    expect(diagnosis.serverCode).toBe('WSG_NOT_WEBSOCKET');
    expect(diagnosis.observed).toContain('X-WSGate-Error: WSG_NOT_WEBSOCKET');
    expect(diagnosis.causes[1]).toMatch(
      /dropped the hop-by-hop headers Upgrade and Connection \(Server: nginx\/[\d.]+\)/,
    );
    expect(diagnosis.fix[0]).toBe(
      'Behind nginx, in the location that proxies WebSockets: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";',
    );
  });

  it('nginx without the WebSocket lines, in front of a ws-library server: the same diagnosis from its bare 426', async () => {
    const diagnosis = failure(
      await probe(`ws://127.0.0.1:${nginxPort}/ws-library/`),
      'WSG_RESPONSE_UPGRADE_REQUIRED',
    );
    expect(diagnosis.serverCode).toBeUndefined();
    expect(diagnosis.causes[0]).toMatch(
      /dropped the hop-by-hop headers Upgrade and Connection \(Server: nginx/,
    );
    expect(diagnosis.fix[0]).toMatch(/^Behind nginx/);
  });

  it('with the lines the diagnosis suggests, the same backend through nginx is healthy', async () => {
    const report = await probe(`ws://127.0.0.1:${nginxPort}/websocket/chat`, {
      send: 'through nginx',
    });
    expect(report.diagnosis).toBeUndefined();
    expect(report.exitCode).toBe(0);
    expect(report.roundTrip?.received).toBe('"through nginx"');
  });

  it('502 from nginx when the upstream is down: a proxy error, with the upstream to check', async () => {
    const diagnosis = failure(
      await probe(`ws://127.0.0.1:${nginxPort}/down/`),
      'WSG_RESPONSE_REFUSED',
    );
    expect(diagnosis.summary).toMatch(
      /^HTTP\/1\.1 502 Bad Gateway: a proxy could not get a valid answer from the server behind it \(Server: nginx\/[\d.]+\)\.$/,
    );
    expect(diagnosis.observed.join('\n')).toMatch(/<title>502 Bad Gateway<\/title>/);
    expect(diagnosis.causes[0]).toMatch(/server behind the proxy is down/);
    expect(diagnosis.fix[0]).toMatch(/proxy forwards to the right host and port/);
  });

  it('504 from nginx when the upstream does not answer in time: the timeouts to check', async () => {
    const report = await probe(`ws://127.0.0.1:${nginxPort}/slow/`, { timeoutMs: 5_000 });
    const diagnosis = failure(report, 'WSG_RESPONSE_REFUSED');
    expect(diagnosis.summary).toMatch(
      /^HTTP\/1\.1 504 Gateway Time-out: a proxy timed out waiting for the server behind it \(Server: nginx\/[\d.]+\)\.$/,
    );
    expect(diagnosis.fix[0]).toMatch(/proxy_connect_timeout, proxy_read_timeout/);
    expect(report.response?.elapsedMs).toBeGreaterThanOrEqual(900);
  });
});
