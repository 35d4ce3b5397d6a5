import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { encodeFrame } from '@wsgate/core/protocol';
import { rawExchange, rawRequest, upgradeHeaders } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import { websocket } from '../src/index.js';
import { closed, delay, flavours, nextMessage, open, serve } from './helpers.js';

const others: WsServer[] = [];
afterEach(() => {
  for (const other of others.splice(0)) other.close();
});

/** A dev server's HMR socket: a `ws` server that claims its upgrades synchronously, as Vite's does. */
function hmrListener(server: Server): void {
  const hmr = new WsServer({ noServer: true });
  others.push(hmr);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (request.url !== '/hmr' || request.headers['sec-websocket-protocol'] !== 'vite-hmr') return;
    hmr.handleUpgrade(request, socket, head, (client) => client.send('hmr ready'));
  });
}

/**
 * A proxy-like listener: it claims `/late` and answers after 50 ms, as a proxied connection
 * would, then keeps the socket open until `release()`, so that anything wsgate wrote over it
 * later would still reach the client.
 */
function lateNeighbour(): {
  readonly listen: (server: Server) => void;
  readonly answered: Promise<void>;
  readonly release: () => void;
} {
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => {
    answer = resolve;
  });
  const sockets: Duplex[] = [];
  return {
    listen: (server) =>
      server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
        if (!request.url?.startsWith('/late')) return;
        socket.on('error', () => {});
        sockets.push(socket);
        setTimeout(() => {
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nlate answer', () => answer());
        }, 50);
      }),
    answered,
    release: () => {
      for (const socket of sockets) socket.end();
    },
  };
}

/** A masked client text frame, as a browser would send it right behind the handshake. */
function maskedText(text: string): Buffer {
  return Buffer.concat(encodeFrame(0x1, Buffer.from(text), { mask: true }));
}

describe.each(flavours)('$name: beside other upgrade listeners', ({ express }) => {
  function spaApp() {
    const app = express();
    app.get(
      '/echo',
      websocket((connection) => connection.send('echo ready')),
    );
    // A single-page app's fallback answers every other GET: routed, it would take /hmr too.
    app.use((_req, res) => {
      res.type('html').send('<!doctype html><p>spa</p>');
    });
    return app;
  }

  for (const order of ['before', 'after'] as const) {
    it(`leaves a request another listener claims at once to it (registered ${order} the adapter)`, async () => {
      const { ws, port } = await serve(spaApp(), {}, { [order]: hmrListener });
      const hmr = await open(`${ws}/hmr`, {}, ['vite-hmr']);
      expect(hmr.protocol).toBe('vite-hmr');
      expect(await nextMessage(hmr)).toBe('hmr ready');
      hmr.close();
      const echo = await open(`${ws}/echo`);
      expect(await nextMessage(echo)).toBe('echo ready');
      echo.close();
      const elsewhere = await rawRequest(port, { path: '/elsewhere' });
      expect(elsewhere.status).toBe(200);
      expect(elsewhere.body).toContain('spa');
    });
  }

  it('gives other listeners the grace period before a 404 for a path no route serves', async () => {
    const app = express();
    app.get(
      '/echo',
      websocket(() => {}),
    );
    const neighbour = lateNeighbour();
    const { port } = await serve(
      app,
      { unhandledUpgradeTimeoutMs: 300 },
      { after: neighbour.listen },
    );
    const answer = rawRequest(port, { path: '/late', timeoutMs: 5_000 });
    await neighbour.answered;
    // /unknown's grace period began after /late's: once it has its 404, /late's has run out.
    const unknown = await rawRequest(port, { path: '/unknown' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
    expect(unknown.closedByServer).toBe(true);
    neighbour.release();
    const late = await answer;
    expect(late.status).toBe(200);
    expect(late.body).toBe('late answer');
    expect(late.raw).not.toContain('WSG_');
  });

  it('leaves the requests skipUpgrade names to other listeners, even where the app would answer', async () => {
    const neighbour = lateNeighbour();
    const { port } = await serve(
      spaApp(),
      { skipUpgrade: (request) => request.url?.startsWith('/late') === true },
      { after: neighbour.listen },
    );
    const answer = rawRequest(port, { path: '/late/socket', timeoutMs: 5_000 });
    await neighbour.answered;
    // The app answers a later upgrade at once: it would have answered /late/socket by now.
    expect((await rawRequest(port, { path: '/elsewhere' })).body).toContain('spa');
    neighbour.release();
    const late = await answer;
    expect(late.status).toBe(200);
    expect(late.body).toBe('late answer');
    expect(late.raw).not.toContain('spa');
  });
});

describe.each(flavours)('$name: connections', ({ express }) => {
  for (const beside of [false, true]) {
    it(`keeps the bytes that arrive with the handshake, through async middleware${beside ? ', beside another listener' : ''}`, async () => {
      const app = express();
      app.use((_req, _res, next) => {
        setTimeout(next, 30);
      });
      app.get(
        '/echo',
        websocket((connection) => {
          connection.on('message', (data) => connection.send(data));
        }),
      );
      const { port } = await serve(app, {}, beside ? { after: hmrListener } : {});
      let head = 'GET /echo HTTP/1.1\r\n';
      for (const [name, value] of Object.entries(upgradeHeaders(port)))
        head += `${name}: ${value}\r\n`;
      const bytes = Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), maskedText('early bird')]);
      const response = await rawExchange(port, bytes, {
        timeoutMs: 5_000,
        stopWhen: (received) => received.includes('early bird'),
      });
      expect(response.status).toBe(101);
      const frames = Buffer.from(
        response.raw.slice(response.raw.indexOf('\r\n\r\n') + 4),
        'latin1',
      );
      expect(frames.toString('hex')).toBe(
        Buffer.concat([Buffer.from([0x81, 10]), Buffer.from('early bird')]).toString('hex'),
      );
    });
  }

  it('closes with 1011 WSG_INTERNAL_ERROR when the route handler throws or rejects, and logs it', async () => {
    const app = express();
    app.get(
      '/throws',
      websocket(() => {
        throw new Error('handler bug');
      }),
    );
    app.get(
      '/rejects',
      websocket(async () => {
        await delay(10);
        throw new Error('async handler bug');
      }),
    );
    const { ws, logs } = await serve(app);
    for (const path of ['/throws', '/rejects']) {
      const client = await open(`${ws}${path}`);
      const { code, reason } = await closed(client);
      expect(code).toBe(1011);
      expect(reason).toMatch(/^WSG_INTERNAL_ERROR/);
    }
    const failures = logs.filter((event) => event.event === 'wsgate.connection.handler_failed');
    expect(failures.map((event) => event.detail)).toEqual([
      expect.stringContaining('handler bug'),
      expect.stringContaining('async handler bug'),
    ]);
  });

  it('closes every connection on every route with 1001, then refuses new handshakes with 503', async () => {
    const app = express();
    app.get(
      '/a',
      websocket(() => {}),
    );
    app.get(
      '/b',
      websocket(() => {}, { maxMessageBytes: 1024 }),
    );
    const { ws, port, sockets, server } = await serve(app);
    const a = await open(`${ws}/a`);
    const b = await open(`${ws}/b`);
    expect(sockets.clients.size).toBe(2);
    const aClosed = closed(a);
    const bClosed = closed(b);
    await sockets.close();
    expect((await aClosed).code).toBe(1001);
    expect((await bClosed).code).toBe(1001);
    expect(sockets.clients.size).toBe(0);
    const late = await rawRequest(port, { path: '/a' });
    expect(late.status).toBe(503);
    expect(late.headers['x-wsgate-error']).toBe('WSG_SERVER_SHUTTING_DOWN');
    expect(server.listenerCount('upgrade')).toBe(1);
    sockets.detach();
    expect(server.listenerCount('upgrade')).toBe(0);
  });
});
