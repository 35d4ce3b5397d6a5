import { createServer as createHttpServer, type Server } from 'node:http';
import { closedPort, closeHttpServer, listenOnLoopback, rawRequest } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  listenForUpgrades,
  UpgradeRouter,
  type UpgradeRouterOptions,
} from '../../src/adapter/index.js';
import {
  type LogEvent,
  RefusalJournal,
  type WebSocketConnection,
  WebSocketServer,
} from '../../src/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Clients first, then the endpoints, then the HTTP servers (which wait for their sockets).
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server answering what says where it was served, for `path` on the router. */
function endpoint(name: string): WebSocketServer {
  const server = new WebSocketServer({ perMessageDeflate: false, heartbeatIntervalMs: 0 });
  server.on('connection', (connection: WebSocketConnection) => connection.send(name));
  cleanups.push(() => server.close({ timeoutMs: 200 }));
  return server;
}

/** The app's own HTTP server, with its own answer to plain requests, and a router on it. */
async function appServer(options: UpgradeRouterOptions): Promise<{
  port: number;
  http: Server;
  router: UpgradeRouter;
}> {
  const http = createHttpServer((_request, response) => {
    response.statusCode = 404;
    response.end("the app's own 404");
  });
  const router = new UpgradeRouter(http, options);
  const port = await listenOnLoopback(http);
  cleanups.push(async () => {
    await router.close();
    http.closeAllConnections();
    await closeHttpServer(http);
  });
  return { port, http, router };
}

/** The message an endpoint sends on connection (listened for before the 101 arrives). */
function firstMessage(url: string): Promise<string> {
  const client = new WebSocket(url);
  cleanups.push(async () => client.terminate());
  return new Promise((resolve, reject) => {
    client.once('message', (data) => resolve(String(data)));
    client.once('error', reject);
  });
}

describe('several WebSocket endpoints on one HTTP server', () => {
  it('sends each upgrade to the server of its exact path, and 404 WSG_PATH_NOT_FOUND elsewhere', async () => {
    const logs: LogEvent[] = [];
    const { port, router } = await appServer({ fallback: { onLog: (event) => logs.push(event) } });
    router.add('/chat', endpoint('chat'));
    router.add('/echo', endpoint('echo'));
    expect(await firstMessage(`ws://127.0.0.1:${port}/chat?room=1`)).toBe('chat');
    expect(await firstMessage(`ws://127.0.0.1:${port}/echo`)).toBe('echo');
    const unknown = await rawRequest(port, { path: '/chat/' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
    expect(logs).toContainEqual(
      expect.objectContaining({ code: 'WSG_PATH_NOT_FOUND', path: '/chat/' }),
    );
  });

  it('lets an endpoint without a path take every path no other serves', async () => {
    const { port, router } = await appServer({});
    router.add('/exact', endpoint('exact'));
    router.add(undefined, endpoint('rest'));
    expect(await firstMessage(`ws://127.0.0.1:${port}/exact`)).toBe('exact');
    expect(await firstMessage(`ws://127.0.0.1:${port}/anything/else`)).toBe('rest');
    expect(router.serverFor('/x')).toBe(router.serverFor('/y'));
    expect(() => router.add('/exact', endpoint('again'))).toThrow(/already serves \/exact/);
  });

  it("answers plain requests to an endpoint's path with 426 in front of the app, and leaves it the rest", async () => {
    const { port, router } = await appServer({ interceptRequests: true });
    router.add('/chat', endpoint('chat'));
    const plain = await fetch(`http://127.0.0.1:${port}/chat`);
    expect(plain.status).toBe(426);
    expect(plain.headers.get('upgrade')).toBe('websocket');
    const other = await fetch(`http://127.0.0.1:${port}/page`);
    expect(other.status).toBe(404);
    expect(await other.text()).toBe("the app's own 404");
  });

  it('leaves plain requests to the app when told to, and to its listeners again once closed', async () => {
    const { port, router } = await appServer({
      interceptRequests: true,
      refusePlainRequests: false,
    });
    router.add('/chat', endpoint('chat'));
    expect((await fetch(`http://127.0.0.1:${port}/chat`)).status).toBe(404);
    const second = await appServer({ interceptRequests: true });
    second.router.add('/chat', endpoint('chat'));
    await second.router.close();
    expect((await fetch(`http://127.0.0.1:${second.port}/chat`)).status).toBe(404);
    // Without an upgrade listener, Node hands an upgrade to the app as a plain request.
    expect((await rawRequest(second.port, { path: '/chat' })).status).toBe(404);
  });

  it('tells a page why its tagged attempt was refused', async () => {
    const journal = new RefusalJournal();
    const { port, router } = await appServer({
      interceptRequests: true,
      refusalLookup: journal,
      fallback: { refusalJournal: journal },
    });
    router.add('/chat', endpoint('chat'));
    await rawRequest(port, { path: '/nope?wsgate_attempt=abcdefgh12345678' });
    const lookup = await fetch(
      `http://127.0.0.1:${port}/.well-known/wsgate/refusal?attempt=abcdefgh12345678`,
    );
    expect(lookup.status).toBe(200);
    expect(await lookup.json()).toMatchObject({ code: 'WSG_PATH_NOT_FOUND', status: 404 });
  });
});

describe('an HTTP server for WebSocket endpoints alone', () => {
  it('serves its endpoints, answers 426 on their paths and 404 elsewhere, and closes with the router', async () => {
    const port = await closedPort();
    const router = listenForUpgrades(port, '127.0.0.1');
    router.add('/own', endpoint('own'));
    await new Promise((resolve) => router.http.once('listening', resolve));
    expect(await firstMessage(`ws://127.0.0.1:${port}/own`)).toBe('own');
    expect((await fetch(`http://127.0.0.1:${port}/own`)).status).toBe(426);
    const elsewhere = await fetch(`http://127.0.0.1:${port}/elsewhere`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.headers.get('x-wsgate-error')).toBe('WSG_PATH_NOT_FOUND');
    // The client and the endpoint go first: closing an HTTP server waits for upgraded sockets.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await router.close();
    expect(router.http.listening).toBe(false);
  });
});
