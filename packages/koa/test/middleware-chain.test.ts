import { connect } from 'node:net';
import { type LogEvent, WsgateError } from '@wsgate/core';
import {
  clientFrame,
  delay,
  openWs,
  rawRequest,
  upgradeHeaders,
  waitFor,
  wsClosed,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { echoRoute, matrix, rawRequestUntil, startApp, type TestApp } from './helpers.js';

/** What a server sends for a short unmasked text frame (RFC 6455 §5.2), without compression. */
function serverTextFrame(text: string): string {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]).toString('hex');
}

/** The bytes after the response head, as hex. */
function afterHead(raw: string): string {
  return Buffer.from(raw.slice(raw.indexOf('\r\n\r\n') + 4), 'latin1').toString('hex');
}

describe.each(matrix)(
  '$koa with $routing: the upgrade runs through the middleware chain',
  (variant) => {
    let running: TestApp | undefined;
    afterEach(async () => {
      await running?.close();
      running = undefined;
    });

    it('runs the middleware in order before the route accepts, with what they put on ctx.state', async () => {
      const order: string[] = [];
      running = await startApp(variant, variant.routing, {
        use: [
          async (_ctx, next) => {
            order.push('outer:before');
            await next();
            order.push('outer:after');
          },
          async (ctx, next) => {
            order.push('auth');
            ctx.state.user = ctx.query.user;
            await next();
          },
        ],
        routes: {
          '/who': async (ctx) => {
            const ws = await ctx.ws();
            order.push('route');
            ws?.send(`hello ${String(ctx.state.user)}`);
          },
        },
      });
      // The greeting follows the 101 at once: listen before the open event.
      const client = new WebSocket(`ws://127.0.0.1:${running.port}/who?user=ada`);
      const greeting = new Promise<string>((resolve) =>
        client.once('message', (data: Buffer) => resolve(data.toString())),
      );
      expect(await greeting).toBe('hello ada');
      await waitFor(() => order.length === 4, { what: 'the chain to unwind' });
      expect(order).toEqual(['outer:before', 'auth', 'route', 'outer:after']);
      client.close();
    });

    it('writes a 401 thrown by a middleware verbatim, with its challenge and WSG_AUTH_REQUIRED, never 101', async () => {
      let routeRan = false;
      running = await startApp(variant, variant.routing, {
        use: [
          async (ctx, next) => {
            if (ctx.query.token !== 'good')
              ctx.throw(401, 'the token has expired', {
                headers: { 'WWW-Authenticate': 'Bearer realm="chat"' },
              });
            await next();
          },
        ],
        routes: {
          '/echo': async (ctx, next) => {
            routeRan = true;
            await echoRoute(ctx, next);
          },
        },
      });
      const refused = await rawRequest(running.port, { path: '/echo?token=old' });
      expect(refused.statusLine).toBe('HTTP/1.1 401 Unauthorized');
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="chat"');
      expect(refused.headers['x-wsgate-error']).toBe('WSG_AUTH_REQUIRED');
      expect(refused.body).toContain('the token has expired');
      expect(refused.body).toContain('Fix: ');
      expect(refused.closedByServer).toBe(true);
      expect(routeRan).toBe(false);
      const accepted = await rawRequestUntil(
        running.port,
        {
          path: '/echo?token=good',
        },
        (received) => received.includes('\r\n\r\n'),
      );
      expect(accepted.status).toBe(101);
      expect(routeRan).toBe(true);
    });

    it('answers a 403 status set without a body with 403 WSG_FORBIDDEN, keeping the headers the app set', async () => {
      running = await startApp(variant, variant.routing, {
        use: [
          async (ctx, next) => {
            if (ctx.get('X-Role') !== 'admin') {
              ctx.set('X-Policy', 'admins-only');
              ctx.status = 403;
              return;
            }
            await next();
          },
        ],
        routes: { '/echo': echoRoute },
      });
      const response = await rawRequest(running.port, { path: '/echo' });
      expect(response.status).toBe(403);
      expect(response.headers['x-policy']).toBe('admins-only');
      expect(response.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
      expect(response.body).toContain('403 Forbidden: WSG_FORBIDDEN');
      expect(response.closedByServer).toBe(true);
    });

    it('answers ctx.throw(403, message) with 403 WSG_FORBIDDEN and the exposed message, never 101', async () => {
      let routeRan = false;
      running = await startApp(variant, variant.routing, {
        use: [
          async (ctx, next) => {
            if (ctx.get('X-Role') !== 'admin') ctx.throw(403, 'admins only');
            await next();
          },
        ],
        routes: {
          '/admin': async (ctx, next) => {
            routeRan = true;
            await echoRoute(ctx, next);
          },
        },
      });
      const response = await rawRequest(running.port, { path: '/admin' });
      expect(response.statusLine).toBe('HTTP/1.1 403 Forbidden');
      expect(response.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
      expect(response.body).toContain('admins only');
      expect(response.raw).not.toContain(' 101 ');
      expect(response.closedByServer).toBe(true);
      expect(routeRan).toBe(false);
      const admin = await rawRequestUntil(
        running.port,
        { path: '/admin', headers: { 'X-Role': 'admin' } },
        (received) => received.includes('\r\n\r\n'),
      );
      expect(admin.status).toBe(101);
    });

    it('leaves the RFC checks to core once the middleware let the request through: version 8 gets 426', async () => {
      const seen: string[] = [];
      running = await startApp(variant, variant.routing, {
        use: [
          async (ctx, next) => {
            seen.push(ctx.path);
            await next();
          },
        ],
        routes: { '/echo': echoRoute },
      });
      const response = await rawRequest(running.port, {
        path: '/echo',
        headers: { 'Sec-WebSocket-Version': '8' },
      });
      expect(response.status).toBe(426);
      expect(response.headers['sec-websocket-version']).toBe('13');
      expect(response.headers['x-wsgate-error']).toBe('WSG_VERSION_UNSUPPORTED');
      expect(response.closedByServer).toBe(true);
      expect(seen).toEqual(['/echo']);
    });

    it('sends an answer that has its own body verbatim, naming its policy code: a 418 and a redirect', async () => {
      running = await startApp(variant, variant.routing, {
        routes: {
          '/teapot': (ctx) => {
            ctx.status = 418;
            ctx.body = 'short and stout';
          },
          '/old': (ctx) => {
            ctx.redirect('/echo');
          },
        },
      });
      const teapot = await rawRequest(running.port, { path: '/teapot' });
      expect(teapot.status).toBe(418);
      expect(teapot.body).toBe('short and stout');
      expect(teapot.headers['x-wsgate-error']).toBe('WSG_REQUEST_REFUSED');
      expect(teapot.closedByServer).toBe(true);
      const moved = await rawRequest(running.port, { path: '/old' });
      expect(moved.status).toBe(302);
      expect(moved.headers.location).toBe('/echo');
      expect(moved.headers['x-wsgate-error']).toBe('WSG_UPGRADE_NOT_HANDLED');
      expect(moved.closedByServer).toBe(true);
    });

    it('answers a thrown WsgateError with its code, status, headers and detail', async () => {
      const logged: LogEvent[] = [];
      running = await startApp(variant, variant.routing, {
        options: { onLog: (event) => logged.push(event) },
        use: [
          () => {
            throw new WsgateError('WSG_TOO_MANY_CONNECTIONS', { detail: 'the room is full' });
          },
        ],
        routes: { '/echo': echoRoute },
      });
      const response = await rawRequest(running.port, { path: '/echo' });
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.headers['x-wsgate-error']).toBe('WSG_TOO_MANY_CONNECTIONS');
      expect(response.body).toContain('the room is full');
      // A refusal, not a failure: logged through onLog, not reported as an app error.
      expect(running.errors).toEqual([]);
      expect(logged).toEqual([
        expect.objectContaining({ code: 'WSG_TOO_MANY_CONNECTIONS', detail: 'the room is full' }),
      ]);
    });

    it('answers an error thrown by a middleware with 500 WSG_HOOK_FAILED, never its message, and reports it on the app', async () => {
      running = await startApp(variant, variant.routing, {
        use: [
          () => {
            throw new Error('cannot reach the session store with password hunter2');
          },
        ],
        routes: { '/echo': echoRoute },
      });
      const response = await rawRequest(running.port, { path: '/echo' });
      expect(response.status).toBe(500);
      expect(response.headers['x-wsgate-error']).toBe('WSG_HOOK_FAILED');
      expect(response.raw).not.toContain('hunter2');
      expect(response.closedByServer).toBe(true);
      expect(running.errors.map((error) => error.message)).toEqual([
        'cannot reach the session store with password hunter2',
      ]);
    });

    it('answers 404 when a route matches but never calls ctx.ws()', async () => {
      running = await startApp(variant, variant.routing, {
        routes: { '/forgetful': async () => {} },
      });
      const response = await rawRequest(running.port, { path: '/forgetful' });
      expect(response.status).toBe(404);
      expect(response.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
      expect(response.closedByServer).toBe(true);
    });

    it('answers a plain GET to a WebSocket route with 426 and Upgrade: websocket; ctx.ws() resolves undefined', async () => {
      const seen: unknown[] = [];
      running = await startApp(variant, variant.routing, {
        routes: {
          '/echo': async (ctx) => {
            seen.push(await ctx.ws());
          },
        },
      });
      const response = await fetch(`http://127.0.0.1:${running.port}/echo`);
      expect(response.status).toBe(426);
      expect(response.headers.get('upgrade')).toBe('websocket');
      expect(response.headers.get('x-wsgate-error')).toBe('WSG_NOT_WEBSOCKET');
      expect(await response.text()).toContain('WSG_NOT_WEBSOCKET');
      expect(seen).toEqual([undefined]);
    });

    it('keeps the bytes that arrive in the same TCP write as the handshake', async () => {
      running = await startApp(variant, variant.routing, {
        use: [
          async (_ctx, next) => {
            await delay(30);
            await next();
          },
        ],
        routes: { '/echo': echoRoute },
      });
      const response = await rawRequestUntil(
        running.port,
        {
          path: '/echo',
          after: clientFrame(0x1, 'sent with the handshake'),
        },
        (received) => received.includes('sent with the handshake'),
      );
      expect(response.status).toBe(101);
      expect(afterHead(response.raw)).toBe(serverTextFrame('sent with the handshake'));
    });

    it('keeps the bytes that arrive while the middleware is still deciding', async () => {
      // The middleware decides only once the second frame has reached the server's host, so
      // that frame arrives while the upgrade is still in Koa's hands.
      let entered!: () => void;
      const middlewareEntered = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let delivered!: () => void;
      const secondDelivered = new Promise<void>((resolve) => {
        delivered = resolve;
      });
      running = await startApp(variant, variant.routing, {
        use: [
          async (_ctx, next) => {
            entered();
            await secondDelivered;
            await next();
          },
        ],
        routes: { '/echo': echoRoute },
      });
      const port = running.port;
      const received = await new Promise<string>((resolve, reject) => {
        const socket = connect({ port, host: '127.0.0.1' });
        let head = 'GET /echo HTTP/1.1\r\n';
        for (const [name, value] of Object.entries(upgradeHeaders(port)))
          head += `${name}: ${value}\r\n`;
        const chunks: Buffer[] = [];
        socket.on('connect', () => {
          socket.write(Buffer.concat([Buffer.from(`${head}\r\n`), clientFrame(0x1, 'first')]));
          void middlewareEntered.then(() =>
            socket.write(clientFrame(0x1, 'second'), () => delivered()),
          );
        });
        socket.on('data', (chunk) => {
          chunks.push(chunk);
          const text = Buffer.concat(chunks).toString('latin1');
          if (text.includes('second')) {
            socket.destroy();
            resolve(text);
          }
        });
        socket.on('error', reject);
      });
      expect(received.startsWith('HTTP/1.1 101 Switching Protocols\r\n')).toBe(true);
      expect(afterHead(received)).toBe(serverTextFrame('first') + serverTextFrame('second'));
    });

    it('answers 500 WSG_HOOK_FAILED when a middleware never settles within handshakeTimeoutMs', async () => {
      running = await startApp(variant, variant.routing, {
        use: [() => new Promise<void>(() => {})],
        routes: { '/echo': echoRoute },
        options: { handshakeTimeoutMs: 200 },
      });
      const response = await rawRequest(running.port, { path: '/echo' });
      expect(response.status).toBe(500);
      expect(response.headers['x-wsgate-error']).toBe('WSG_HOOK_FAILED');
      expect(response.closedByServer).toBe(true);
      expect(running.errors[0]?.message).toMatch(/did not answer the upgrade request to \/echo/);
    });

    it('reports an error thrown after the upgrade on the app, and the connection stays open', async () => {
      running = await startApp(variant, variant.routing, {
        routes: {
          '/echo': async (ctx, next) => {
            await echoRoute(ctx, next);
            throw new Error('bookkeeping failed after the upgrade');
          },
        },
      });
      const client = await openWs(`ws://127.0.0.1:${running.port}/echo`);
      await waitFor(() => running?.errors.length === 1, { what: 'the error report' });
      expect(running.errors[0]?.message).toBe('bookkeeping failed after the upgrade');
      client.send('still here');
      expect((await wsNextMessage(client)).data.toString()).toBe('still here');
      const closed = wsClosed(client);
      client.close(1000);
      expect((await closed).code).toBe(1000);
    });
  },
);
