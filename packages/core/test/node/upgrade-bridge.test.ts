import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  closeHttpServer,
  listenOnLoopback,
  rawExchange,
  rawRequest,
  upgradeHeaders,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bridgeUpgrades,
  plainRequestRefusal,
  ServerGroup,
  type UpgradeBridgeHooks,
  UpgradeExchange,
} from '../../src/adapter/index.js';
import { type LogEvent, type ServerOptions, WebSocketServer } from '../../src/index.js';

describe('the upgrade bridge adapters share', () => {
  let http: Server | undefined;
  let wss: WebSocketServer | undefined;
  afterEach(async () => {
    await wss?.close({ timeoutMs: 500 });
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    http = undefined;
  });

  async function listen(onUpgrade: (exchange: UpgradeExchange) => void): Promise<number> {
    wss = new WebSocketServer();
    http = createHttpServer();
    http.on('upgrade', (request, socket, head) =>
      onUpgrade(new UpgradeExchange(request, socket, head)),
    );
    await new Promise<void>((resolve) => http?.listen(0, '127.0.0.1', resolve));
    return (http.address() as AddressInfo).port;
  }

  function handshake(port: number, path = '/chat'): Promise<string> {
    let head = `GET ${path} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(upgradeHeaders(port)))
      head += `${name}: ${value}\r\n`;
    return rawExchange(port, Buffer.from(`${head}\r\n`), {
      stopWhen: (text) => text.includes('\r\n\r\n'),
    }).then((r) => r.raw);
  }

  it('puts headers the framework set before accepting into the 101, a cookie per line', async () => {
    const port = await listen((exchange) => {
      exchange.response.setHeader('Set-Cookie', ['session=renewed; HttpOnly', 'theme=dark']);
      exchange.response.setHeader('X-Request-Id', 'req-7');
      exchange.response.setHeader('Content-Type', 'text/html');
      void exchange.accept(wss as WebSocketServer);
    });
    const answer = await handshake(port);
    expect(answer).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(answer).toContain('set-cookie: session=renewed; HttpOnly\r\nset-cookie: theme=dark\r\n');
    expect(answer).toContain('x-request-id: req-7\r\n');
    expect(answer.toLowerCase()).not.toContain('content-type');
  });

  it('writes whatever the framework answered instead of upgrading, and never a 101', async () => {
    const port = await listen((exchange) => {
      exchange.response.writeHead(302, { Location: '/login' });
      exchange.response.end();
      void exchange.accept(wss as WebSocketServer);
    });
    const answer = await handshake(port);
    expect(answer).toMatch(/^HTTP\/1\.1 302 Found\r\n/);
    expect(answer.toLowerCase()).toContain('location: /login');
    expect(answer).not.toContain('101');
  });
});

describe('bridging the upgrades of an http server through a framework', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  interface Bridged {
    readonly port: number;
    readonly http: Server;
    readonly group: ServerGroup;
    readonly logs: LogEvent[];
  }

  /** `framework` plays the framework: it gets each exchange, as an adapter's app would. */
  async function bridge(
    framework: (exchange: UpgradeExchange, bridged: Bridged) => void,
    options: ServerOptions = {},
    hooks: Omit<UpgradeBridgeHooks, 'run'> = {},
    around: (http: Server) => void = () => {},
  ): Promise<Bridged> {
    const logs: LogEvent[] = [];
    const group = new ServerGroup({ ...options, onLog: (event) => logs.push(event) });
    const server = createHttpServer((_request, response) => response.end('plain'));
    const bridged: Bridged = { port: 0, http: server, group, logs };
    around(server);
    bridgeUpgrades(server, group, { ...hooks, run: (exchange) => framework(exchange, bridged) });
    const port = await listenOnLoopback(server);
    cleanups.push(async () => {
      await group.close({ timeoutMs: 200 });
      server.closeAllConnections();
      await closeHttpServer(server);
    });
    return { ...bridged, port };
  }

  it('accepts what the framework routes to a WebSocket, and writes what it answers itself', async () => {
    const { port } = await bridge((exchange, { group }) => {
      if (exchange.handshake.path === '/ws') void group.accept(exchange);
      else exchange.response.writeHead(401, { 'WWW-Authenticate': 'Cookie' }).end('log in');
    });
    expect((await rawRequest(port, { path: '/ws', timeoutMs: 300 })).status).toBe(101);
    const refused = await rawRequest(port, { path: '/private' });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('log in');
  });

  it('answers 500 WSG_HOOK_FAILED when the framework settles nothing within handshakeTimeoutMs, and says why', async () => {
    const timeouts: Error[] = [];
    const { port, logs } = await bridge(
      () => {},
      { handshakeTimeoutMs: 100 },
      { onTimeout: (error) => timeouts.push(error) },
    );
    const response = await rawRequest(port, { path: '/stuck' });
    expect(response.status).toBe(500);
    expect(response.headers['x-wsgate-error']).toBe('WSG_HOOK_FAILED');
    expect(response.closedByServer).toBe(true);
    expect(timeouts[0]?.message).toMatch(/did not answer the upgrade request to \/stuck/);
    expect(logs).toContainEqual(
      expect.objectContaining({
        event: 'wsgate.handshake.hook_failed',
        detail: expect.stringMatching(/within 100 ms/),
      }),
    );
  });

  it('answers 404 at once for what the framework did not route, when alone on the server', async () => {
    const { port } = await bridge((exchange, { group, http }) =>
      exchange.refuseUnclaimed(group.base, http),
    );
    const response = await rawRequest(port, { path: '/nowhere' });
    expect(response.status).toBe(404);
    expect(response.body).toContain('no WebSocket endpoint at /nowhere');
  });

  it('leaves other upgrade listeners their grace period before that 404, and their sockets', async () => {
    const { port } = await bridge(
      (exchange, { group, http }) => exchange.refuseUnclaimed(group.base, http),
      { unhandledUpgradeTimeoutMs: 200 },
      {},
      (http) =>
        http.on('upgrade', (request, socket) => {
          if (request.url !== '/late') return;
          setTimeout(
            () => socket.end('HTTP/1.1 418 I am a teapot\r\nContent-Length: 0\r\n\r\n'),
            50,
          );
        }),
    );
    const claimed = await rawRequest(port, { path: '/late' });
    expect(claimed.status).toBe(418);
    const started = Date.now();
    const unclaimed = await rawRequest(port, { path: '/other' });
    expect(unclaimed.status).toBe(404);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('runs the framework after listeners beside it had their turn, when asked to', async () => {
    let ran = 0;
    const { port } = await bridge(
      (exchange, { group }) => {
        ran++;
        void group.accept(exchange);
      },
      {},
      { afterNeighbours: true },
      (http) =>
        http.on('upgrade', (request, socket) => {
          if (request.url === '/theirs') socket.end('HTTP/1.1 418 I am a teapot\r\n\r\n');
        }),
    );
    expect((await rawRequest(port, { path: '/theirs' })).status).toBe(418);
    expect(ran).toBe(0);
    expect((await rawRequest(port, { path: '/ours', timeoutMs: 300 })).status).toBe(101);
    expect(ran).toBe(1);
  });

  it('leaves skipped requests alone, keeps other paths out, and refuses with 503 once closing', async () => {
    let ran = 0;
    const { port, group } = await bridge(
      (exchange) => {
        ran++;
        exchange.response.writeHead(204).end();
      },
      { path: ['/in'] },
      { skip: (request) => request.url === '/skipped' },
      (http) =>
        http.on('upgrade', (request, socket) => {
          if (request.url !== '/skipped') return;
          setTimeout(() => socket.end('HTTP/1.1 418 I am a teapot\r\n\r\n'), 1_200);
        }),
    );
    // Past the grace period a path outside `path` would get: the bridge left it alone.
    expect((await rawRequest(port, { path: '/skipped' })).status).toBe(418);
    expect((await rawRequest(port, { path: '/out' })).status).toBe(404);
    expect((await rawRequest(port, { path: '/in' })).status).toBe(204);
    expect(ran).toBe(1);
    await group.close();
    const closing = await rawRequest(port, { path: '/in' });
    expect(closing.status).toBe(503);
    expect(closing.headers['x-wsgate-error']).toBe('WSG_SERVER_SHUTTING_DOWN');
    expect(ran).toBe(1);
  });

  it("logs a failure's stack and answers 500 without it; a framework's own refusal is logged as a refusal", async () => {
    const { port, logs } = await bridge((exchange, { group }) => {
      if (exchange.handshake.path === '/fail') {
        exchange.fail(group.base, new Error('db password is hunter2'));
        return;
      }
      const answer = exchange.answerFor(group.base, {
        code: 'WSG_FORBIDDEN',
        status: 429,
        detail: 'slow down',
        headers: { 'Retry-After': '9' },
      });
      exchange.response.writeHead(answer.status, answer.headers).end(answer.body);
    });
    const failed = await rawRequest(port, { path: '/fail' });
    expect(failed.status).toBe(500);
    expect(failed.raw).not.toContain('hunter2');
    expect(logs.find((event) => event.path === '/fail')?.detail).toContain('hunter2');
    const refused = await rawRequest(port, {
      path: '/limited',
      headers: { Accept: 'application/json' },
    });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('9');
    expect(refused.body).toContain('"code":"WSG_FORBIDDEN"');
    expect(refused.body).toContain('"detail":"slow down"');
    expect(logs).toContainEqual(
      expect.objectContaining({ code: 'WSG_FORBIDDEN', path: '/limited', detail: 'slow down' }),
    );
  });
});

describe('plain requests that reach a WebSocket-only route', () => {
  it('get 426 with Upgrade: websocket, listed in Connection', () => {
    const request = {
      headers: {},
      method: 'GET',
      url: '/ws',
      httpVersion: '1.1',
    } as IncomingMessage;
    const refusal = plainRequestRefusal(request);
    expect(refusal.status).toBe(426);
    expect(refusal.headers.Upgrade).toBe('websocket');
    expect(refusal.headers.Connection).toBe('Upgrade');
  });

  it('get the exact fault when they tried to upgrade without Connection: Upgrade', () => {
    const request = {
      headers: { upgrade: 'websocket', connection: 'keep-alive' },
      method: 'GET',
      url: '/ws',
      httpVersion: '1.1',
    } as unknown as IncomingMessage;
    expect(plainRequestRefusal(request).code).toBe('WSG_CONNECTION_TOKEN_MISSING');
  });
});
