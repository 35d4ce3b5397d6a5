import { createServer as createHttpServer, type Server } from 'node:http';
import {
  closeHttpServer,
  listenOnLoopback,
  openWs,
  rawRequest,
  waitFor,
  wsClosed,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { ServerGroup, UpgradeExchange } from '../../src/adapter/index.js';
import { RefusalJournal, type ServerOptions, type WebSocketConnection } from '../../src/index.js';
import { optionsKey } from '../../src/node/server-group.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Every upgrade is accepted through the group, with the route options its path names. */
async function serve(
  group: ServerGroup,
  routes: Record<string, { options?: ServerOptions; key?: unknown }>,
): Promise<number> {
  const http: Server = createHttpServer();
  http.on('upgrade', (request, socket, head) => {
    const exchange = new UpgradeExchange(request, socket, head);
    const route = routes[exchange.handshake.path] ?? {};
    void group.accept(exchange, route.options, route.key);
  });
  const port = await listenOnLoopback(http);
  cleanups.push(async () => {
    await group.close({ timeoutMs: 200 });
    http.closeAllConnections();
    await closeHttpServer(http);
  });
  return port;
}

async function open(url: string): Promise<WebSocket> {
  const client = await openWs(url);
  cleanups.push(async () => client.terminate());
  return client;
}

describe('the core servers of one framework attachment', () => {
  it('compares options by value, functions by source, class instances by identity', () => {
    const hook = () => undefined;
    expect(optionsKey({ maxConnections: 1, subprotocols: ['a'] })).toBe(
      optionsKey({ subprotocols: ['a'], maxConnections: 1 }),
    );
    expect(optionsKey({ verifyUpgrade: hook })).toBe(optionsKey({ verifyUpgrade: hook }));
    expect(optionsKey({ verifyUpgrade: hook })).toBe(
      optionsKey({ verifyUpgrade: () => undefined }),
    );
    expect(optionsKey({ verifyUpgrade: hook })).not.toBe(
      optionsKey({ verifyUpgrade: () => ({ refuse: 'WSG_FORBIDDEN' as const }) }),
    );
    expect(optionsKey({ origins: [/a/] })).toBe(optionsKey({ origins: [/a/] }));
    expect(optionsKey({ capture: new RefusalJournal() as never })).not.toBe(
      optionsKey({ capture: new RefusalJournal() as never }),
    );
    expect(optionsKey({ maxConnections: 1 })).not.toBe(optionsKey({ maxConnections: 2 }));
  });

  it('runs 50 handshakes whose options are written anew, hooks included, on one server', async () => {
    const group = new ServerGroup({ perMessageDeflate: false });
    const seen: string[] = [];
    const http: Server = createHttpServer();
    http.on('upgrade', (request, socket, head) => {
      const exchange = new UpgradeExchange(request, socket, head);
      const name = exchange.handshake.query.get('name') ?? '';
      void group.accept(exchange, {
        maxConnections: 100,
        verifyUpgrade: () => {
          seen.push(name);
        },
      });
    });
    const port = await listenOnLoopback(http);
    cleanups.push(async () => {
      await group.close({ timeoutMs: 200 });
      http.closeAllConnections();
      await closeHttpServer(http);
    });
    for (let i = 0; i < 50; i++) await open(`ws://127.0.0.1:${port}/?name=${i}`);
    expect(group.size).toBe(1);
    expect(group.clients.size).toBe(50);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });

  it('shares one server among equal route options written anew for each request, so its limits hold', async () => {
    const group = new ServerGroup({ perMessageDeflate: false });
    const port = await serve(group, {
      '/a': { options: { maxConnections: 1 } },
      '/b': { options: { maxConnections: 1 } },
    });
    await open(`ws://127.0.0.1:${port}/a`);
    const second = await rawRequest(port, { path: '/b' });
    expect(second.status).toBe(503);
    expect(second.headers['x-wsgate-error']).toBe('WSG_TOO_MANY_CONNECTIONS');
  });

  it('gives each key its own server when routes count their connections apart', async () => {
    const group = new ServerGroup({ perMessageDeflate: false });
    const port = await serve(group, {
      '/a': { options: { maxConnections: 1 }, key: 'route a' },
      '/b': { options: { maxConnections: 1 }, key: 'route b' },
    });
    await open(`ws://127.0.0.1:${port}/a`);
    await open(`ws://127.0.0.1:${port}/b`);
    expect(group.clients.size).toBe(2);
  });

  it('merges route options over the group options', async () => {
    const group = new ServerGroup({ perMessageDeflate: false, subprotocols: ['app'] });
    const port = await serve(group, { '/own': { options: { subprotocols: ['own'] } } });
    const base = await openWs(`ws://127.0.0.1:${port}/`, { protocols: ['app', 'own'] });
    const own = await openWs(`ws://127.0.0.1:${port}/own`, { protocols: ['app', 'own'] });
    cleanups.push(async () => {
      base.terminate();
      own.terminate();
    });
    expect(base.protocol).toBe('app');
    expect(own.protocol).toBe('own');
  });

  it('holds every open connection in clients until it closes', async () => {
    const group = new ServerGroup({ perMessageDeflate: false });
    const port = await serve(group, { '/r': { options: { maxMessageBytes: 10 } } });
    const one = await open(`ws://127.0.0.1:${port}/`);
    await open(`ws://127.0.0.1:${port}/r`);
    expect(group.clients.size).toBe(2);
    const closed = wsClosed(one);
    one.close(1000);
    await closed;
    await waitFor(() => group.clients.size === 1, { what: 'the closed connection to leave' });
  });

  it('closes every connection with 1001, then refuses handshakes with 503', async () => {
    const group = new ServerGroup({ perMessageDeflate: false });
    const port = await serve(group, { '/r': { options: { maxMessageBytes: 10 } } });
    const clients = [await open(`ws://127.0.0.1:${port}/`), await open(`ws://127.0.0.1:${port}/r`)];
    const closed = clients.map((client) => wsClosed(client));
    await group.close({ timeoutMs: 500 });
    for (const { code } of await Promise.all(closed)) expect(code).toBe(1001);
    expect(group.closing).toBe(true);
    for (const path of ['/', '/r', '/new']) {
      const refused = await rawRequest(port, { path });
      expect(refused.status).toBe(503);
      expect(refused.headers['x-wsgate-error']).toBe('WSG_SERVER_SHUTTING_DOWN');
    }
    expect(group.clients.size).toBe(0);
  });

  it('resolves undefined, and writes nothing, for an exchange another listener took', async () => {
    const group = new ServerGroup();
    let accepted: WebSocketConnection | undefined | 'pending' = 'pending';
    const http: Server = createHttpServer();
    http.on('upgrade', (request, socket, head) => {
      socket.write('HTTP/1.1 418 I am a teapot\r\nContent-Length: 0\r\n\r\n');
      void group.accept(new UpgradeExchange(request, socket, head)).then((connection) => {
        accepted = connection;
        socket.end();
      });
    });
    const port = await listenOnLoopback(http);
    cleanups.push(async () => {
      http.closeAllConnections();
      await closeHttpServer(http);
    });
    const response = await rawRequest(port);
    expect(response.status).toBe(418);
    expect(response.raw).not.toContain('101');
    expect(accepted).toBeUndefined();
  });
});
