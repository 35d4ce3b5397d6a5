import { rawRequest } from '@wsgate/test-kit';
import type { NextFunction, Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { websocket } from '../src/index.js';
import { flavours, nextMessage, open, serve } from './helpers.js';

describe.each(flavours)('$name: WebSocket routes are Express routes', ({ express }) => {
  it('runs app, router and route middleware in order before the handler, on the upgrade request', async () => {
    const app = express();
    const seen: string[] = [];
    app.use((req: Request & { user?: string }, _res, next) => {
      seen.push('app');
      req.user = 'ada';
      next();
    });
    const router = express.Router();
    router.use((_req, _res, next) => {
      seen.push('router');
      next();
    });
    router.get(
      '/live',
      (_req, _res, next) => {
        seen.push('route');
        next();
      },
      websocket((connection, req: Request & { user?: string }) => {
        seen.push('handler');
        connection.send(JSON.stringify({ seen, user: req.user }));
      }),
    );
    app.use(router);
    const { ws } = await serve(app);
    const client = await open(`${ws}/live`);
    expect(JSON.parse(await nextMessage(client))).toEqual({
      seen: ['app', 'router', 'route', 'handler'],
      user: 'ada',
    });
    client.close();
  });

  it('hands route parameters and the query string to the handler, under a router mounted at a prefix', async () => {
    const app = express();
    const rooms = express.Router();
    rooms.get(
      '/rooms/:id',
      websocket((connection, req) => {
        connection.send(
          JSON.stringify({
            id: req.params.id,
            name: req.query.name,
            baseUrl: req.baseUrl,
            originalUrl: req.originalUrl,
          }),
        );
      }),
    );
    app.use('/api', rooms);
    const { ws, port } = await serve(app);
    const client = await open(`${ws}/api/rooms/42?name=Ada`);
    expect(JSON.parse(await nextMessage(client))).toEqual({
      id: '42',
      name: 'Ada',
      baseUrl: '/api',
      originalUrl: '/api/rooms/42?name=Ada',
    });
    client.close();
    const withoutPrefix = await rawRequest(port, { path: '/rooms/42' });
    expect(withoutPrefix.status).toBe(404);
    expect(withoutPrefix.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
  });

  it('answers a POST upgrade to a WebSocket route, under a mounted router with a parameter, with 405 and Allow: GET; to another path with 404', async () => {
    const app = express();
    const seen: string[] = [];
    app.use((req, _res, next) => {
      seen.push(req.method);
      next();
    });
    const router = express.Router();
    router.get(
      '/rooms/:id',
      websocket(() => {}),
    );
    app.use('/api', router);
    const { port } = await serve(app);
    const post = await rawRequest(port, { method: 'POST', path: '/api/rooms/7?x=1' });
    expect(post.statusLine).toBe('HTTP/1.1 405 Method Not Allowed');
    expect(post.headers['x-wsgate-error']).toBe('WSG_METHOD_NOT_ALLOWED');
    expect(post.headers.allow).toBe('GET');
    // The middleware saw the request as it was sent, once.
    expect(seen).toEqual(['POST']);
    const elsewhere = await rawRequest(port, { method: 'POST', path: '/api/lobby' });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
  });

  it('lets an ordinary HTTP route answer an upgrade to its path, as Express would', async () => {
    const app = express();
    app.get('/page', (_req, res) => {
      res.status(200).type('text/plain').send('just a page');
    });
    const { port } = await serve(app);
    const response = await rawRequest(port, { path: '/page' });
    expect(response.status).toBe(200);
    expect(response.body).toBe('just a page');
    expect(response.closedByServer).toBe(true);
  });

  it("answers a plain GET to a WebSocket route with 426 and Upgrade: websocket, after the app's middleware", async () => {
    const app = express();
    app.use((_req, res, next) => {
      res.setHeader('X-Seen-By', 'middleware');
      next();
    });
    app.get(
      '/echo',
      websocket(() => {}),
    );
    const { http } = await serve(app);
    const response = await fetch(`${http}/echo`);
    expect(response.status).toBe(426);
    expect(response.headers.get('upgrade')).toBe('websocket');
    expect(response.headers.get('x-wsgate-error')).toBe('WSG_NOT_WEBSOCKET');
    expect(response.headers.get('x-seen-by')).toBe('middleware');
    expect(await response.text()).toContain('WSG_NOT_WEBSOCKET');
  });

  it("follows next('route') to the next route for the same path", async () => {
    const app = express();
    app.get(
      '/room',
      (req: Request, _res: Response, next: NextFunction) =>
        next(req.query.v === '2' ? 'route' : undefined),
      websocket((connection) => connection.send('v1')),
    );
    app.get(
      '/room',
      websocket((connection) => connection.send('v2')),
    );
    const { ws } = await serve(app);
    const first = await open(`${ws}/room`);
    expect(await nextMessage(first)).toBe('v1');
    const second = await open(`${ws}/room?v=2`);
    expect(await nextMessage(second)).toBe('v2');
    first.close();
    second.close();
  });
});
