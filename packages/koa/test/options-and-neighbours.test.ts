import { RefusalJournal, type UpgradeRefusal } from '@wsgate/core';
import {
  openRawWebSocket,
  openWs,
  rawRequest,
  settle,
  waitFor,
  wsClosed,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import { refusalLookup } from '../src/index.js';
import {
  echoRoute,
  koaVersions,
  matrix,
  rawRequestUntil,
  startApp,
  type TestApp,
} from './helpers.js';

// Declared once, as a route would: the adapter keeps one core server per options object.
const small = { maxMessageBytes: 16 } as const;
const chatV2 = { subprotocols: ['chat.v2'] } as const;
const uncompressed = { perMessageDeflate: false } as const;
const beating = { heartbeatIntervalMs: 50 } as const;
const vipOnly = {
  verifyUpgrade: (request: { query: URLSearchParams }): UpgradeRefusal | undefined =>
    request.query.get('pass') === 'gold'
      ? undefined
      : { refuse: 'WSG_FORBIDDEN', detail: 'this room needs a gold pass' },
};

describe.each(matrix)('$koa with $routing: core options per app and per route', (variant) => {
  let running: TestApp | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('applies route options over the app options: message limit, subprotocols, compression', async () => {
    running = await startApp(variant, variant.routing, {
      routes: {
        '/default': echoRoute,
        '/small': async (ctx) => {
          const ws = await ctx.ws(small);
          ws?.on('message', (data) => ws.send(data));
        },
        '/chat': async (ctx) => {
          await ctx.ws(chatV2);
        },
        '/plain': async (ctx) => {
          await ctx.ws(uncompressed);
        },
      },
      options: { origins: ['http://allowed.example'] },
    });
    const base = `ws://127.0.0.1:${running.port}`;
    const limited = await openWs(`${base}/small`);
    const closed = wsClosed(limited);
    limited.send('x'.repeat(17));
    expect(await closed).toMatchObject({
      code: 1009,
      reason: expect.stringMatching(/^WSG_MESSAGE_TOO_BIG/),
    });
    const roomy = await openWs(`${base}/default`);
    roomy.send('x'.repeat(17));
    expect((await wsNextMessage(roomy)).data.toString()).toBe('x'.repeat(17));
    expect(roomy.extensions).toContain('permessage-deflate');
    roomy.close();
    const chat = await openWs(`${base}/chat`);
    expect(chat.protocol).toBe('');
    chat.close();
    const offering = new WebSocket(`${base}/chat`, ['chat.v1', 'chat.v2']);
    const chosen = await new Promise<string>((resolve, reject) => {
      offering.once('open', () => resolve(offering.protocol));
      offering.once('error', reject);
    });
    expect(chosen).toBe('chat.v2');
    offering.close();
    const unoffered = await openWs(`${base}/default`, { origin: 'http://allowed.example' });
    expect(unoffered.protocol).toBe('');
    unoffered.close();
    const plain = await openWs(`${base}/plain`);
    expect(plain.extensions).toBe('');
    plain.close();
    // The app's Origin policy still holds on a route with its own options.
    const refused = await rawRequest(running.port, {
      path: '/chat',
      headers: { Origin: 'http://evil.example' },
    });
    expect(refused.headers['x-wsgate-error']).toBe('WSG_ORIGIN_REFUSED');
  });

  it('shares one core server among requests with equal options written inline, so maxConnections holds', async () => {
    running = await startApp(variant, variant.routing, {
      routes: {
        '/one': async (ctx) => {
          const ws = await ctx.ws({ maxConnections: 1, subprotocols: ['solo'] });
          ws?.on('message', (data) => ws.send(data));
        },
      },
    });
    const first = await openWs(`ws://127.0.0.1:${running.port}/one`);
    const second = await rawRequest(running.port, { path: '/one' });
    expect(second.status).toBe(503);
    expect(second.headers['x-wsgate-error']).toBe('WSG_TOO_MANY_CONNECTIONS');
    const closed = wsClosed(first);
    first.close(1000);
    await closed;
    await waitFor(() => running?.wsgate.clients.size === 0, { what: 'the server to forget it' });
    const third = await openWs(`ws://127.0.0.1:${running.port}/one`);
    third.send('room for one');
    expect((await wsNextMessage(third)).data.toString()).toBe('room for one');
    third.close();
  });

  it("runs a route's verifyUpgrade after the middleware, and its refusal reaches the client", async () => {
    running = await startApp(variant, variant.routing, {
      routes: {
        '/vip': async (ctx) => {
          await ctx.ws(vipOnly);
        },
      },
    });
    const refused = await rawRequest(running.port, { path: '/vip?pass=bronze' });
    expect(refused.status).toBe(403);
    expect(refused.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
    expect(refused.body).toContain('this room needs a gold pass');
    const accepted = await openWs(`ws://127.0.0.1:${running.port}/vip?pass=gold`);
    accepted.close();
  });

  it("pings on a route's own heartbeat interval", async () => {
    running = await startApp(variant, variant.routing, {
      routes: {
        '/beat': async (ctx) => {
          await ctx.ws(beating);
        },
      },
    });
    const raw = await openRawWebSocket(running.port, { path: '/beat' });
    const frames = await raw.waitForFrames(1, 2_000);
    expect(frames[0]?.opcode).toBe(0x9);
    raw.destroy();
  });

  it('copies headers set before ctx.ws() into the 101, and leaves framing headers out', async () => {
    running = await startApp(variant, variant.routing, {
      use: [
        async (ctx, next) => {
          ctx.set('X-Request-Id', 'req-42');
          ctx.type = 'json';
          ctx.cookies.set('session', 'renewed', { signed: false });
          await next();
        },
      ],
      routes: { '/echo': echoRoute },
    });
    const response = await rawRequestUntil(
      running.port,
      {
        path: '/echo',
      },
      (received) => received.includes('\r\n\r\n'),
    );
    expect(response.status).toBe(101);
    expect(response.headers['x-request-id']).toBe('req-42');
    expect(response.headers['set-cookie']).toMatch(/^session=renewed; path=\/; httponly$/);
    expect(response.headers['content-type']).toBeUndefined();
  });

  it('carries every cookie set before ctx.ws() into the 101, one Set-Cookie line each', async () => {
    running = await startApp(variant, variant.routing, {
      use: [
        async (ctx, next) => {
          ctx.cookies.set('a', '1', { signed: false });
          ctx.cookies.set('b', '2', { signed: false });
          await next();
        },
      ],
      routes: { '/echo': echoRoute },
    });
    const response = await rawRequestUntil(running.port, { path: '/echo' }, (received) =>
      received.includes('\r\n\r\n'),
    );
    expect(response.status).toBe(101);
    expect(response.raw).toMatch(
      /\r\nset-cookie: a=1; path=\/; httponly\r\nset-cookie: b=2; path=\/; httponly\r\n/i,
    );
  });

  it('does not report a client reset after the upgrade as an app error', async () => {
    running = await startApp(variant, variant.routing, { routes: { '/echo': echoRoute } });
    const raw = await openRawWebSocket(running.port, { path: '/echo' });
    await waitFor(() => running?.wsgate.clients.size === 1, { what: 'the connection' });
    raw.socket.resetAndDestroy();
    await waitFor(() => running?.wsgate.clients.size === 0, { what: 'the server to drop it' });
    expect(running.errors).toEqual([]);
  });
});

type UpgradeArgs =
  Parameters<WsServer['handleUpgrade']> extends [infer R, infer S, infer H, ...unknown[]]
    ? [R, S, H]
    : never;

describe.each(matrix)('$koa with $routing: beside other upgrade listeners', (variant) => {
  let running: TestApp | undefined;
  let other: WsServer | undefined;
  afterEach(async () => {
    await running?.close();
    other?.close();
    running = undefined;
    other = undefined;
  });

  const grace = 200;

  /** A `ws` server on the same http server that serves /other, and echoes. */
  function neighbour(claim: 'at once' | 'after 50 ms'): (...args: UpgradeArgs) => void {
    const server = new WsServer({
      noServer: true,
      ...(claim === 'at once'
        ? {}
        : {
            verifyClient: (_info: unknown, done: (ok: boolean) => void) =>
              setTimeout(done, 50, true),
          }),
    });
    other = server;
    server.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    return (request, socket, head) => {
      if (request.url === '/other')
        server.handleUpgrade(request, socket, head, (ws) => server.emit('connection', ws));
    };
  }

  /**
   * Opens /other, lets wsgate settle `later`, an upgrade sent after it, and checks the /other
   * connection still works: whatever wsgate does about /other (its grace timer, armed first,
   * or a refusal) it has done by the time it answers the later request.
   */
  async function useNeighbour(port: number, later: () => Promise<void>): Promise<void> {
    const theirs = await openWs(`ws://127.0.0.1:${port}/other`);
    await later();
    theirs.send('still theirs');
    expect((await wsNextMessage(theirs)).data.toString()).toBe('still theirs');
    const closed = wsClosed(theirs);
    theirs.close(1000);
    expect((await closed).code).toBe(1000);
  }

  for (const order of ['before', 'after'] as const) {
    it(`leaves a neighbour registered ${order} wsgate the upgrades it claims late, and still answers 404`, async () => {
      const claimOther = neighbour('after 50 ms');
      running = await startApp(variant, variant.routing, {
        routes: { '/echo': echoRoute },
        options: { unhandledUpgradeTimeoutMs: grace },
        before: (http) => {
          if (order === 'before') http.on('upgrade', claimOther);
        },
      });
      if (order === 'after') running.http.on('upgrade', claimOther);
      const port = running.port;
      // /nobody's 404 comes when its grace period ends, so after /other's, which began first.
      await useNeighbour(port, async () => {
        const nobody = await rawRequest(port, { path: '/nobody', timeoutMs: 3_000 });
        expect(nobody.status).toBe(404);
        expect(nobody.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
        expect(nobody.closedByServer).toBe(true);
      });
      const ours = await openWs(`ws://127.0.0.1:${port}/echo`);
      ours.send('ours');
      expect((await wsNextMessage(ours)).data.toString()).toBe('ours');
      ours.close();
    });

    it(`never writes over a neighbour registered ${order} wsgate that claimed the socket first, even when a middleware refused`, async () => {
      const claimOther = neighbour('at once');
      running = await startApp(variant, variant.routing, {
        use: [
          async (ctx, next) => {
            if (ctx.query.token !== 'good') ctx.throw(403, 'a token is required');
            await next();
          },
        ],
        routes: { '/echo': echoRoute },
        options: { unhandledUpgradeTimeoutMs: grace },
        before: (http) => {
          if (order === 'before') http.on('upgrade', claimOther);
        },
      });
      if (order === 'after') running.http.on('upgrade', claimOther);
      const port = running.port;
      await useNeighbour(port, async () => {
        const refused = await rawRequest(port, { path: '/echo' });
        expect(refused.status).toBe(403);
        expect(refused.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
      });
    });
  }

  it('keeps upgrades outside `path` out of Koa entirely', async () => {
    const seen: string[] = [];
    running = await startApp(variant, variant.routing, {
      use: [
        async (ctx, next) => {
          seen.push(ctx.path);
          await next();
        },
      ],
      routes: { '/echo': echoRoute },
      options: { path: ['/echo'] },
    });
    const ours = await openWs(`ws://127.0.0.1:${running.port}/echo`);
    ours.close();
    const outside = await rawRequest(running.port, { path: '/elsewhere' });
    expect(outside.status).toBe(404);
    expect(outside.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
    expect(seen).toEqual(['/echo']);
  });

  it('after detach, leaves upgrades to Node, which hands them to Koa as plain requests (426)', async () => {
    running = await startApp(variant, variant.routing, { routes: { '/echo': echoRoute } });
    running.wsgate.detach();
    const response = await rawRequestUntil(
      running.port,
      {
        path: '/echo',
      },
      (received) => received.includes('Fix: '),
    );
    expect(response.status).toBe(426);
    expect(response.headers['x-wsgate-error']).toBe('WSG_NOT_WEBSOCKET');
  });
});

describe.each(koaVersions)('$koa: the refusal lookup', (version) => {
  let running: TestApp | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('tells a page why its tagged attempt was refused, before any auth middleware runs', async () => {
    const journal = new RefusalJournal();
    running = await startApp(version, '@koa/router', {
      use: [
        refusalLookup(journal),
        (ctx) => {
          ctx.status = 401;
        },
      ],
      options: { refusalJournal: journal },
    });
    const attempt = 'a'.repeat(24);
    const refused = await rawRequest(running.port, { path: `/echo?wsgate_attempt=${attempt}` });
    expect(refused.status).toBe(403);
    const lookup = await fetch(
      `http://127.0.0.1:${running.port}/.well-known/wsgate/refusal?attempt=${attempt}`,
    );
    expect(lookup.status).toBe(200);
    expect(await lookup.json()).toMatchObject({ code: 'WSG_AUTH_REQUIRED', status: 403 });
    const unknown = await settle(
      fetch(
        `http://127.0.0.1:${running.port}/.well-known/wsgate/refusal?attempt=${'b'.repeat(24)}`,
      ),
    );
    expect(unknown.ok && unknown.value.status).toBe(404);
  });

  it("counts lookups by ctx.ip: the TCP peer, or the proxy's X-Forwarded-For once app.proxy is set", async () => {
    const statuses = async (trustProxy: boolean): Promise<number[]> => {
      const journal = new RefusalJournal({ lookupsPerMinute: 1 });
      running = await startApp(version, '@koa/router', { use: [refusalLookup(journal)] });
      running.app.proxy = trustProxy;
      const answers: number[] = [];
      for (const client of ['203.0.113.1', '203.0.113.2']) {
        const response = await fetch(
          `http://127.0.0.1:${running.port}/.well-known/wsgate/refusal?attempt=${'c'.repeat(24)}`,
          { headers: { 'X-Forwarded-For': client } },
        );
        answers.push(response.status);
      }
      await running.close();
      running = undefined;
      return answers;
    };
    expect(await statuses(false)).toEqual([404, 429]);
    expect(await statuses(true)).toEqual([404, 404]);
  });
});
