import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { WebSocketGateway } from '@nestjs/websockets';
import { rawRequest } from '@wsgate/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsgateAdapter } from '../src/index.js';

@WebSocketGateway({ path: '/live' })
class LiveGateway {}

/**
 * What only Fastify does: its request handler also serves requests that never pass through the
 * Node server's 'request' event (app.inject(), and the second server Fastify binds when
 * `localhost` resolves to both 127.0.0.1 and ::1).
 */
describe('@wsgate/nestjs on @nestjs/platform-fastify', () => {
  let app: NestFastifyApplication;
  let port = 0;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ providers: [LiveGateway] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    app.useWebSocketAdapter(new WsgateAdapter(app));
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
  });

  it("answers a plain GET to a gateway's path that reaches Fastify's handler by app.inject() with 426", async () => {
    const response = await app.inject({ method: 'GET', url: '/live' });
    expect(response.statusCode).toBe(426);
    expect(response.headers.upgrade).toBe('websocket');
    expect(response.headers['x-wsgate-error']).toBe('WSG_NOT_WEBSOCKET');
  });

  it('answers the refusal lookup that reaches Fastify by app.inject()', async () => {
    const attempt = 'f'.repeat(24);
    const refused = await rawRequest(port, { path: `/nowhere?wsgate_attempt=${attempt}` });
    expect(refused.status).toBe(404);
    const lookup = await app.inject({
      method: 'GET',
      url: `/.well-known/wsgate/refusal?attempt=${attempt}`,
    });
    expect(lookup.statusCode).toBe(200);
    expect(lookup.json()).toMatchObject({ code: 'WSG_PATH_NOT_FOUND', status: 404 });
  });

  it("leaves Fastify's own 404 to other paths reached by app.inject()", async () => {
    const response = await app.inject({ method: 'GET', url: '/nowhere' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['x-wsgate-error']).toBeUndefined();
  });
});
