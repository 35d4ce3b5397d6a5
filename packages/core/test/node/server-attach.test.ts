import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import {
  clientFrame,
  closeHttpServer,
  listenOnLoopback,
  openRawWebSocket,
  openWs,
  rawRequest,
  waitFor,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerOptions, type WebSocketConnection, WebSocketServer } from '../../src/index.js';

const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function echo(connection: WebSocketConnection): void {
  connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
}

/** An http server with a plain request handler, and a WebSocketServer attached to it. */
async function attachedServer(options: ServerOptions = {}): Promise<{
  http: HttpServer;
  wss: WebSocketServer;
  port: number;
  detach: () => void;
}> {
  const http = createHttpServer((_request, response) => response.end('plain http'));
  const wss = new WebSocketServer({ path: '/ws', ...options });
  wss.on('connection', echo);
  const detach = wss.attach(http);
  const port = await listenOnLoopback(http);
  stops.push(async () => {
    await wss.close({ timeoutMs: 500 });
    await closeHttpServer(http);
  });
  return { http, wss, port, detach };
}

describe('WebSocketServer attached to a node:http server', () => {
  it('echoes messages of a ws client on its path', async () => {
    const { port } = await attachedServer();
    const socket = await openWs(`ws://127.0.0.1:${port}/ws`);
    const answer = wsNextMessage(socket);
    socket.send('through http');
    expect((await answer).data.toString()).toBe('through http');
    socket.close();
  });

  it('reads frames that arrived with the upgrade request (the head buffer)', async () => {
    const { port } = await attachedServer();
    const raw = await openRawWebSocket(port, {
      path: '/ws',
      after: Buffer.concat([clientFrame(1, 'in the head'), clientFrame(2, Buffer.alloc(300, 7))]),
    });
    const frames = await raw.waitForFrames(2);
    expect(frames[0]?.payload.toString()).toBe('in the head');
    expect(frames[1]?.opcode).toBe(2);
    expect(frames[1]?.payload.equals(Buffer.alloc(300, 7))).toBe(true);
    raw.destroy();
  });

  it('keeps serving plain HTTP requests while WebSocket connections are open', async () => {
    const { port } = await attachedServer();
    const socket = await openWs(`ws://127.0.0.1:${port}/ws`);
    const response = await rawRequest(port, {
      path: '/',
      headers: { Upgrade: null, Connection: 'close' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toBe('plain http');
    expect(socket.readyState).toBe(socket.OPEN);
    socket.close();
  });

  it('stops answering upgrades once detached', async () => {
    const { port, detach, http } = await attachedServer();
    detach();
    expect(http.listenerCount('upgrade')).toBe(0);
    // With no upgrade listener, node:http hands the request to its request handler.
    const response = await rawRequest(port, {
      path: '/ws',
      headers: { Connection: 'Upgrade, close' },
    });
    expect(response.status).toBe(200);
    expect(response.headers['x-wsgate-error']).toBeUndefined();
  });

  it('forgets connections when their clients go away', async () => {
    const { wss, port } = await attachedServer();
    const sockets = await Promise.all(
      Array.from({ length: 5 }, () => openWs(`ws://127.0.0.1:${port}/ws`)),
    );
    expect(wss.clients.size).toBe(5);
    for (const socket of sockets) socket.terminate();
    await waitFor(() => wss.clients.size === 0, { what: 'every connection to be released' });
  });
});

describe('handleUpgrade from an application upgrade listener', () => {
  async function manualServer(options: ServerOptions = {}) {
    const http = createHttpServer();
    const wss = new WebSocketServer(options);
    const results: Array<WebSocketConnection | undefined> = [];
    http.on('upgrade', (request, socket, head) => {
      void wss
        .handleUpgrade(request, socket, head, { headers: { 'Set-Cookie': 'session=1' } })
        .then((connection) => {
          results.push(connection);
          if (connection) echo(connection);
        });
    });
    const port = await listenOnLoopback(http);
    stops.push(async () => {
      await wss.close({ timeoutMs: 500 });
      await closeHttpServer(http);
    });
    return { port, results };
  }

  it('adds the extra headers to the 101 and resolves with the connection', async () => {
    const { port, results } = await manualServer();
    const raw = await openRawWebSocket(port, { after: clientFrame(1, 'manual') });
    expect(raw.response.headers['set-cookie']).toBe('session=1');
    const [frame] = await raw.waitForFrames(1);
    expect(frame?.payload.toString()).toBe('manual');
    await waitFor(() => results.length === 1);
    expect(results[0]?.readyState).toBe(1);
    raw.destroy();
  });

  it('resolves with undefined when it refuses, having written the refusal', async () => {
    const { port, results } = await manualServer();
    const response = await rawRequest(port, { headers: { 'Sec-WebSocket-Version': '7' } });
    expect(response.status).toBe(426);
    expect(response.headers['x-wsgate-error']).toBe('WSG_VERSION_UNSUPPORTED');
    await waitFor(() => results.length === 1);
    expect(results).toEqual([undefined]);
  });
});
