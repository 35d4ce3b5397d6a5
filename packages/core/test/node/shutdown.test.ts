import { createServer as createHttpServer } from 'node:http';
import { connect as connectTcp } from 'node:net';
import {
  closeHttpServer,
  delay,
  listenOnLoopback,
  nextEvent,
  openRawWebSocket,
  openWs,
  type RawWebSocket,
  rawRequest,
  settle,
  waitFor,
  withTimeout,
  wsClosed,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import {
  connect,
  createServer,
  type ServerOptions,
  type WebSocketConnection,
  WebSocketServer,
  type WsgateError,
} from '../../src/index.js';

const stops: Array<() => Promise<void>> = [];
const raws: RawWebSocket[] = [];
const wsClients: WebSocket[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  for (const socket of wsClients.splice(0)) socket.terminate();
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function standalone(options: ServerOptions = {}) {
  const server = await createServer({ port: 0, heartbeatIntervalMs: 0, ...options });
  stops.push(() => server.close({ timeoutMs: 200 }));
  const port = server.address()?.port ?? 0;
  return { server, port, url: `ws://127.0.0.1:${port}` };
}

async function attached(options: ServerOptions = {}) {
  const http = createHttpServer();
  const server = new WebSocketServer({ heartbeatIntervalMs: 0, ...options });
  server.attach(http);
  const port = await listenOnLoopback(http);
  stops.push(async () => {
    await server.close({ timeoutMs: 200 });
    await closeHttpServer(http);
  });
  return { server, port, url: `ws://127.0.0.1:${port}` };
}

async function rawClient(port: number): Promise<RawWebSocket> {
  const raw = await openRawWebSocket(port);
  raws.push(raw);
  return raw;
}

async function wsClient(url: string): Promise<WebSocket> {
  const socket = await openWs(url);
  wsClients.push(socket);
  return socket;
}

describe('WebSocketServer.close()', () => {
  it('sends 1001 to every client, waits for their answers and emits close', async () => {
    const { server, url, port } = await standalone();
    const sockets = await Promise.all([wsClient(url), wsClient(url), wsClient(url)]);
    const ours = await connect(url);
    const oursClosed = nextEvent<[number, string, WsgateError | undefined]>(ours, 'close');
    await waitFor(() => server.clients.size === 4);
    const closedEvents = sockets.map((socket) => wsClosed(socket));
    const serverClosed = nextEvent(server, 'close');
    await server.close({ timeoutMs: 5_000 });
    for (const { code, reason } of await Promise.all(closedEvents)) {
      expect(code).toBe(1001);
      expect(reason.startsWith('WSG_SERVER_SHUTDOWN')).toBe(true);
    }
    const [code, reason] = await oursClosed;
    expect(code).toBe(1001);
    expect(reason.startsWith('WSG_SERVER_SHUTDOWN')).toBe(true);
    await serverClosed;
    expect(server.clients.size).toBe(0);
    // The port no longer listens.
    const refused = await settle(connect(`ws://127.0.0.1:${port}/`));
    expect(refused.ok).toBe(false);
    expect((refused as { error: WsgateError }).error.code).toBe('WSG_CONNECT_REFUSED');
  });

  it('does not wait for timeoutMs when every client answers', async () => {
    const { server, url } = await standalone();
    await Promise.all([wsClient(url), wsClient(url)]);
    await waitFor(() => server.clients.size === 2);
    const started = Date.now();
    await server.close({ timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('terminates a client that never answers and resolves within timeoutMs', async () => {
    const { server, port } = await standalone({ closeTimeoutMs: 60_000 });
    const silent = await rawClient(port);
    await waitFor(() => server.clients.size === 1);
    const connection = [...server.clients][0] as WebSocketConnection;
    const connectionClosed = nextEvent<[number]>(connection, 'close');
    const started = Date.now();
    await server.close({ timeoutMs: 300 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(900);
    expect(silent.closeFrame()?.code).toBe(1001);
    expect(await silent.waitForClose()).toBe(true);
    expect((await connectionClosed)[0]).toBe(1006);
    expect(server.clients.size).toBe(0);
  });

  it('makes a second close() wait for the same shutdown', async () => {
    const { server, port } = await standalone();
    const silent = await rawClient(port);
    await waitFor(() => server.clients.size === 1);
    const first = server.close({ timeoutMs: 300 });
    await server.close();
    expect(server.clients.size).toBe(0);
    expect(silent.closed || (await silent.waitForClose())).toBe(true);
    await first;
  });

  it('refuses new handshakes with 503 WSG_SERVER_SHUTTING_DOWN while closing (attached)', async () => {
    const { server, port } = await attached();
    await rawClient(port);
    await waitFor(() => server.clients.size === 1);
    const closing = server.close({ timeoutMs: 1_000 });
    const response = await rawRequest(port, { headers: { Accept: 'application/json' } });
    expect(response.statusLine).toBe('HTTP/1.1 503 Service Unavailable');
    expect(response.headers['x-wsgate-error']).toBe('WSG_SERVER_SHUTTING_DOWN');
    expect(response.headers['retry-after']).toBe('1');
    expect(JSON.parse(response.body).error.code).toBe('WSG_SERVER_SHUTTING_DOWN');
    await closing;
  });

  it('refuses with 503 a handshake whose hook is still running when closing begins (standalone)', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    const { server, port } = await standalone({
      verifyUpgrade: async () => {
        started++;
        await gate;
      },
    });
    const answer = rawRequest(port);
    await waitFor(() => started === 1);
    const closing = server.close({ timeoutMs: 1_000 });
    release();
    const response = await answer;
    expect(response.status).toBe(503);
    expect(response.headers['x-wsgate-error']).toBe('WSG_SERVER_SHUTTING_DOWN');
    await closing;
    expect(server.clients.size).toBe(0);
  });

  it('drops a handshake whose head is still arriving instead of waiting for it', async () => {
    const { server, port } = await standalone({ handshakeTimeoutMs: 30_000 });
    const socket = connectTcp({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await delay(50);
    // Without dropping it, close() would wait for the 30 s handshake timeout.
    await withTimeout(server.close({ timeoutMs: 300 }), 3_000, 'close()');
    await withTimeout(closed, 1_000, 'the half-sent handshake to be closed');
    const late = await settle(connect(`ws://127.0.0.1:${port}/`));
    expect(late.ok).toBe(false);
    expect((late as { error: WsgateError }).error.code).toBe('WSG_CONNECT_REFUSED');
  });

  it('resolves at once for a server with no clients', async () => {
    const { server } = await standalone();
    const closed = nextEvent(server, 'close');
    await server.close();
    await closed;
    expect(server.clients.size).toBe(0);
  });
});
