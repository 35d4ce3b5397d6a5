import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect } from 'node:net';
import {
  closeHttpServer,
  dripRequest,
  listenOnLoopback,
  openWs,
  rawExchange,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { limitRequestHeads } from '../../src/adapter/index.js';
import { type LogEvent, type ServerOptions, WebSocketServer } from '../../src/index.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '../../src/node/server.js';

const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function plainServer(): Promise<{ http: HttpServer; port: number }> {
  const http = createHttpServer((_request, response) => response.end('plain http'));
  const port = await listenOnLoopback(http);
  stops.push(() => closeHttpServer(http));
  return { http, port };
}

/** An http server with a plain handler and an echoing WebSocketServer attached on /ws. */
async function attached(options: ServerOptions = {}): Promise<{
  http: HttpServer;
  port: number;
  logs: LogEvent[];
  detach: () => void;
}> {
  const logs: LogEvent[] = [];
  const { http, port } = await plainServer();
  const wss = new WebSocketServer({ path: '/ws', onLog: (event) => logs.push(event), ...options });
  wss.on('connection', (connection) => {
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
  const detach = wss.attach(http);
  stops.push(() => wss.close({ timeoutMs: 500 }));
  return { http, port, logs, detach };
}

/** Connects, sends `bytes` (if any), and reports what arrived and whether the server closed. */
function idleConnection(
  port: number,
  bytes: string,
  watchMs: number,
): Promise<{ received: string; closed: boolean; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const started = Date.now();
    let received = '';
    let closed = false;
    let closedAfterMs = -1;
    socket.on('connect', () => {
      if (bytes.length > 0) socket.write(bytes);
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      closedAfterMs = Date.now() - started;
    });
    setTimeout(() => {
      socket.destroy();
      resolve({ received, closed, closedAfterMs });
    }, watchMs);
  });
}

describe('the first request head on an http server wsgate is attached to', () => {
  it('is cut off with 408 WSG_HANDSHAKE_TIMEOUT when it drips in slower than handshakeTimeoutMs, and logged', async () => {
    const { port, logs } = await attached({ handshakeTimeoutMs: 400 });
    const { response, sent, elapsedMs } = await dripRequest(port, {
      path: '/ws',
      intervalMs: 50,
      timeoutMs: 3_000,
    });
    expect(response.status).toBe(408);
    expect(response.headers['x-wsgate-error']).toBe('WSG_HANDSHAKE_TIMEOUT');
    expect(response.body).toContain('no complete request head within 400 ms');
    expect(response.closedByServer).toBe(true);
    expect(sent).toBeGreaterThan(2);
    expect(elapsedMs).toBeGreaterThanOrEqual(350);
    expect(elapsedMs).toBeLessThan(1_500);
    expect(logs.map((event) => event.code)).toContain('WSG_HANDSHAKE_TIMEOUT');
  });

  it('is cut off at one byte a second within the default handshake timeout (at most 10 s), as on a standalone server', async () => {
    expect(DEFAULT_HANDSHAKE_TIMEOUT_MS).toBeLessThanOrEqual(10_000);
    const { port } = await attached();
    const { response, elapsedMs } = await dripRequest(port, {
      path: '/ws',
      intervalMs: 1_000,
      timeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS + 3_000,
    });
    expect(response.status).toBe(408);
    expect(response.headers['x-wsgate-error']).toBe('WSG_HANDSHAKE_TIMEOUT');
    expect(elapsedMs).toBeGreaterThanOrEqual(DEFAULT_HANDSHAKE_TIMEOUT_MS - 100);
    expect(elapsedMs).toBeLessThan(DEFAULT_HANDSHAKE_TIMEOUT_MS + 2_000);
  }, 20_000);

  it('is cut off when a connection sends nothing at all', async () => {
    const { port } = await attached({ handshakeTimeoutMs: 300 });
    const { received, closed, closedAfterMs } = await idleConnection(port, '', 1_500);
    expect(received.startsWith('HTTP/1.1 408 Request Timeout\r\n')).toBe(true);
    expect(closed).toBe(true);
    expect(closedAfterMs).toBeLessThan(1_300);
  });

  it('leaves alone a kept-alive connection whose first request was answered', async () => {
    const { port } = await attached({ handshakeTimeoutMs: 300 });
    const { received, closed } = await idleConnection(
      port,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      // Node's keep-alive timeout (5 s) is longer than this watch.
      1_000,
    );
    expect(received.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(received).toContain('plain http');
    expect(received).not.toContain('408');
    expect(closed).toBe(false);
  });

  it('leaves alone a WebSocket that was upgraded within the deadline', async () => {
    const { port } = await attached({ handshakeTimeoutMs: 300 });
    const socket = await openWs(`ws://127.0.0.1:${port}/ws`);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const answer = wsNextMessage(socket);
    socket.send('still here');
    expect((await answer).data.toString()).toBe('still here');
    socket.close();
  });

  it('leaves alone an upgrade another listener took and holds without writing (e.g. a dev server)', async () => {
    const { http, port } = await attached({ handshakeTimeoutMs: 300 });
    const held: import('node:stream').Duplex[] = [];
    http.on('upgrade', (request, socket) => {
      if (request.url === '/hmr') held.push(socket);
    });
    const { received, closed } = await idleConnection(
      port,
      `GET /hmr HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      1_000,
    );
    expect(held).toHaveLength(1);
    expect(received).toBe('');
    expect(closed).toBe(false);
    for (const socket of held) socket.destroy();
  });

  it('is left to Node with limitRequestHeads: false', async () => {
    const { port } = await attached({ handshakeTimeoutMs: 300, limitRequestHeads: false });
    const { received, closed } = await idleConnection(port, 'GET /ws HTTP/1.1\r\n', 1_000);
    expect(received).toBe('');
    expect(closed).toBe(false);
  });

  it('stops being timed once every attachment detached', async () => {
    const { port, detach } = await attached({ handshakeTimeoutMs: 300 });
    detach();
    const { received, closed } = await idleConnection(port, 'GET /ws HTTP/1.1\r\n', 1_000);
    expect(received).toBe('');
    expect(closed).toBe(false);
  });

  it('gets the shortest deadline of the attachments sharing a server, and the other one after it detached', async () => {
    const { http, port } = await plainServer();
    const stopShort = limitRequestHeads(http, 300);
    const stopLong = limitRequestHeads(http, 1_200);
    const short = await idleConnection(port, 'GET / HTTP/1.1\r\n', 900);
    expect(short.received.startsWith('HTTP/1.1 408 ')).toBe(true);
    expect(short.closedAfterMs).toBeLessThan(900);
    stopShort();
    const long = await rawExchange(port, Buffer.from('GET / HTTP/1.1\r\n'), { timeoutMs: 2_500 });
    expect(long.status).toBe(408);
    expect(long.closedByServer).toBe(true);
    stopLong();
    // Removing twice is harmless, and the server is no longer timed.
    stopLong();
    const after = await idleConnection(port, 'GET / HTTP/1.1\r\n', 600);
    expect(after.received).toBe('');
  });
});
