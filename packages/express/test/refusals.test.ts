import { WsgateError } from '@wsgate/core';
import { rawRequest } from '@wsgate/test-kit';
import type { NextFunction, Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { websocket } from '../src/index.js';
import { closed, flavours, nextMessage, open, serve } from './helpers.js';

function failWith(error: unknown) {
  return (_req: Request, _res: Response, next: NextFunction) => next(error);
}

describe.each(flavours)('$name: refusals on the handshake', ({ express }) => {
  it("writes a middleware's own answer to the upgrade socket verbatim and never upgrades", async () => {
    const app = express();
    let handled = 0;
    app.use((req, res, next) => {
      if (req.query.token === 'secret') {
        next();
        return;
      }
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="chat"')
        .type('text/plain')
        .send('who are you?');
    });
    app.get(
      '/chat',
      websocket((connection) => {
        handled++;
        connection.send('welcome');
      }),
    );
    const { port, ws } = await serve(app);
    const response = await rawRequest(port, { path: '/chat', timeoutMs: 5_000 });
    expect(response.statusLine).toBe('HTTP/1.1 401 Unauthorized');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="chat"');
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toBe('who are you?');
    expect(response.closedByServer).toBe(true);
    expect(handled).toBe(0);
    const client = await open(`${ws}/chat?token=secret`);
    expect(await nextMessage(client)).toBe('welcome');
    expect(handled).toBe(1);
    client.close();
  });

  it('turns next(err) with status 403 into 403 WSG_FORBIDDEN, with the message only when exposed', async () => {
    const app = express();
    app.get(
      '/exposed',
      failWith(Object.assign(new Error('members only'), { status: 403, expose: true })),
      websocket(() => {}),
    );
    app.get(
      '/hidden',
      failWith(Object.assign(new Error('rule 7 of the ACL'), { statusCode: 403 })),
      websocket(() => {}),
    );
    const { port } = await serve(app);
    const exposed = await rawRequest(port, { path: '/exposed' });
    expect(exposed.status).toBe(403);
    expect(exposed.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
    expect(exposed.body).toContain('WSG_FORBIDDEN');
    expect(exposed.body).toContain('members only');
    expect(exposed.closedByServer).toBe(true);
    const hidden = await rawRequest(port, { path: '/hidden' });
    expect(hidden.status).toBe(403);
    expect(hidden.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
    expect(hidden.body).not.toContain('rule 7');
  });

  it('turns next(err) with status 401 into 401 WSG_AUTH_REQUIRED with its WWW-Authenticate', async () => {
    const app = express();
    app.get(
      '/from-error',
      failWith(
        Object.assign(new Error('no token'), {
          status: 401,
          headers: { 'www-authenticate': 'Bearer' },
        }),
      ),
      websocket(() => {}),
    );
    app.get(
      '/from-response',
      (_req, res, next) => {
        res.setHeader('WWW-Authenticate', 'Basic realm="demo"');
        next(Object.assign(new Error('no password'), { status: 401 }));
      },
      websocket(() => {}),
    );
    const { port } = await serve(app);
    const fromError = await rawRequest(port, { path: '/from-error' });
    expect(fromError.status).toBe(401);
    expect(fromError.headers['x-wsgate-error']).toBe('WSG_AUTH_REQUIRED');
    expect(fromError.headers['www-authenticate']).toBe('Bearer');
    const fromResponse = await rawRequest(port, { path: '/from-response' });
    expect(fromResponse.status).toBe(401);
    expect(fromResponse.headers['www-authenticate']).toBe('Basic realm="demo"');
  });

  it('answers next(err) whose headers carry CR LF (a value copied from the request) with 500 WSG_RESPONSE_HEADER_INVALID, never the injected line', async () => {
    const app = express();
    app.get(
      '/chat',
      (req, _res, next) =>
        next(
          Object.assign(new Error('no token'), {
            status: 401,
            headers: { 'WWW-Authenticate': `Bearer realm="${String(req.query.realm)}"` },
          }),
        ),
      websocket(() => {}),
    );
    const { port } = await serve(app);
    const response = await rawRequest(port, {
      path: `/chat?realm=${encodeURIComponent('x"\r\nSet-Cookie: session=attacker')}`,
    });
    expect(response.status).toBe(500);
    expect(response.headers['x-wsgate-error']).toBe('WSG_RESPONSE_HEADER_INVALID');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.raw).not.toMatch(/\r\nSet-Cookie:/i);
    expect(response.closedByServer).toBe(true);
  });

  it('answers a 401 error without any authentication scheme as 403, keeping WSG_AUTH_REQUIRED', async () => {
    const app = express();
    app.get(
      '/chat',
      failWith(Object.assign(new Error('login'), { status: 401 })),
      websocket(() => {}),
    );
    const { port } = await serve(app);
    const response = await rawRequest(port, { path: '/chat' });
    expect(response.status).toBe(403);
    expect(response.headers['x-wsgate-error']).toBe('WSG_AUTH_REQUIRED');
  });

  it('keeps a 503 passed to next() as 503 WSG_SERVER_UNAVAILABLE, hiding its message', async () => {
    const app = express();
    app.get(
      '/down',
      failWith(Object.assign(new Error('replica lag 30 s'), { status: 503 })),
      websocket(() => {}),
    );
    const { port, logs } = await serve(app);
    const response = await rawRequest(port, { path: '/down' });
    expect(response.status).toBe(503);
    expect(response.headers['x-wsgate-error']).toBe('WSG_SERVER_UNAVAILABLE');
    expect(response.headers['retry-after']).toBe('5');
    expect(response.raw).not.toContain('replica lag');
    expect(logs.find((event) => event.path === '/down')?.code).toBe('WSG_SERVER_UNAVAILABLE');
  });

  it('refuses with the own code of a WsgateError passed to next()', async () => {
    const app = express();
    app.get(
      '/busy',
      failWith(new WsgateError('WSG_TOO_MANY_CONNECTIONS', { detail: 'the room is full' })),
      websocket(() => {}),
    );
    const { port } = await serve(app);
    const response = await rawRequest(port, { path: '/busy' });
    expect(response.status).toBe(503);
    expect(response.headers['x-wsgate-error']).toBe('WSG_TOO_MANY_CONNECTIONS');
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body).toContain('the room is full');
  });

  it('answers any other error, thrown or passed to next(), with 500 WSG_HOOK_FAILED and logs it without leaking it', async () => {
    const app = express();
    app.get(
      '/passed',
      failWith(new Error('db password is hunter2')),
      websocket(() => {}),
    );
    app.get(
      '/thrown',
      () => {
        throw new Error('the cache is on fire');
      },
      websocket(() => {}),
    );
    const { port, logs } = await serve(app);
    for (const [path, secret] of [
      ['/passed', 'hunter2'],
      ['/thrown', 'on fire'],
    ] as const) {
      const response = await rawRequest(port, { path });
      expect(response.status).toBe(500);
      expect(response.headers['x-wsgate-error']).toBe('WSG_HOOK_FAILED');
      expect(response.raw).not.toContain(secret);
      expect(response.closedByServer).toBe(true);
      const logged = logs.find((event) => event.path === path);
      expect(logged).toMatchObject({
        event: 'wsgate.handshake.hook_failed',
        code: 'WSG_HOOK_FAILED',
      });
      expect(logged?.detail).toContain(secret);
    }
  });

  it("applies a route's own options over the app's: origins, message limit, compression", async () => {
    const app = express();
    const echo = websocket((connection) => {
      connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
    });
    app.get('/echo', echo);
    app.get(
      '/small',
      websocket(
        (connection) => {
          connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
        },
        { maxMessageBytes: 16, perMessageDeflate: false, origins: () => true },
      ),
    );
    const { port, ws } = await serve(app, { origins: ['http://allowed.example'] });
    const evil = { Origin: 'http://evil.example' };
    expect((await rawRequest(port, { path: '/echo', headers: evil })).status).toBe(403);
    expect((await rawRequest(port, { path: '/small', headers: evil, timeoutMs: 500 })).status).toBe(
      101,
    );

    const small = await open(`${ws}/small`);
    expect(small.extensions).toBe('');
    const done = closed(small);
    small.send('x'.repeat(17));
    expect(await done).toEqual({
      code: 1009,
      reason: expect.stringMatching(/^WSG_MESSAGE_TOO_BIG/),
    });

    const big = await open(`${ws}/echo`);
    expect(big.extensions).toContain('permessage-deflate');
    big.send('x'.repeat(17));
    expect(await nextMessage(big)).toBe('x'.repeat(17));
    big.close();
  });

  it("runs a route's verifyUpgrade with the Express request, after the middleware", async () => {
    const app = express();
    app.get(
      '/rooms/:id',
      (req: Request & { member?: boolean }, _res, next) => {
        req.member = req.query.member === 'yes';
        next();
      },
      websocket((connection) => connection.send('in'), {
        verifyUpgrade: (handshake) => {
          const req = handshake.incoming as Request & { member?: boolean };
          if (!req.member)
            return { refuse: 'WSG_FORBIDDEN', detail: `room ${req.params.id} is for members` };
          return undefined;
        },
      }),
    );
    const { port, ws } = await serve(app);
    const refused = await rawRequest(port, { path: '/rooms/7' });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('room 7 is for members');
    const member = await open(`${ws}/rooms/7?member=yes`);
    expect(await nextMessage(member)).toBe('in');
    member.close();
  });
});
