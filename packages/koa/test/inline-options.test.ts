import { openWs, rawRequest } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { matrix, startApp, type TestApp } from './helpers.js';

describe.each(matrix)('$koa with $routing: route options written inline', (variant) => {
  let running: TestApp | undefined;
  const clients: WebSocket[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await running?.close();
    running = undefined;
  });

  async function open(path: string, options: { origin?: string } = {}): Promise<WebSocket> {
    const client = await openWs(`ws://127.0.0.1:${running?.port}${path}`, options);
    clients.push(client);
    return client;
  }

  it("enforces a route's maxConnections given inline with a new hook on every request: the third gets 503", async () => {
    running = await startApp(variant, variant.routing, {
      routes: {
        '/room': async (ctx) => {
          await ctx.ws({ maxConnections: 2, verifyUpgrade: () => undefined });
        },
      },
    });
    await open('/room');
    await open('/room');
    const third = await rawRequest(running.port, { path: '/room' });
    expect(third.status).toBe(503);
    expect(third.headers['x-wsgate-error']).toBe('WSG_TOO_MANY_CONNECTIONS');
  });

  it('counts 50 handshakes with inline options on one server: the 51st gets 503', async () => {
    running = await startApp(variant, variant.routing, {
      routes: {
        '/room': async (ctx) => {
          await ctx.ws({ maxConnections: 50, verifyUpgrade: () => undefined, onLog: () => {} });
        },
      },
    });
    for (let i = 0; i < 50; i++) await open('/room');
    expect(running.wsgate.clients.size).toBe(50);
    const refused = await rawRequest(running.port, { path: '/room' });
    expect(refused.status).toBe(503);
  });

  it("runs each request's own inline verifyUpgrade and origins, with what it captured", async () => {
    running = await startApp(variant, variant.routing, {
      routes: {
        '/vip': async (ctx) => {
          const pass = ctx.query.pass;
          const site = ctx.query.site;
          await ctx.ws({
            maxConnections: 10,
            origins: (origin: string) => origin === `http://${site}.example`,
            verifyUpgrade: () =>
              pass === 'gold' ? undefined : { refuse: 'WSG_FORBIDDEN', detail: 'gold only' },
          });
        },
      },
    });
    await open('/vip?pass=gold&site=a', { origin: 'http://a.example' });
    const lead = await rawRequest(running.port, { path: '/vip?pass=lead&site=a' });
    expect(lead.status).toBe(403);
    expect(lead.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
    const otherSite = await rawRequest(running.port, {
      path: '/vip?pass=gold&site=b',
      headers: { Origin: 'http://a.example' },
    });
    expect(otherSite.status).toBe(403);
    expect(otherSite.headers['x-wsgate-error']).toBe('WSG_ORIGIN_REFUSED');
    await open('/vip?pass=gold&site=b', { origin: 'http://b.example' });
    expect(running.wsgate.clients.size).toBe(2);
  });
});
