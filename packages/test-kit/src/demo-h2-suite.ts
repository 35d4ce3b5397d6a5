import type { WebSocketConnection } from '@wsgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from './demo-app.js';
import {
  closeOf,
  h1UpgradeAnswer,
  h2ConnectAnswer,
  h2Get,
  nextMessageOf,
  openTlsWebSocket,
} from './h2-client.js';

// The demo contract's "TLS and HTTP/2: TLS=1" (shared/DEMO-CONTRACT.md), for a built demo app:
// HTTPS with HTTP/2 and HTTP/1.1 on one port, /echo, /chat and /live over both, the same
// refusals on both, and 1001 for WebSockets over HTTP/2 on SIGTERM.

const TOKEN = 'tls-token';
const ALLOWED_ORIGIN = 'http://allowed.example';

/** The JSON messages of a connection, kept, with a wait for the first that matches. */
function jsonMessages(connection: WebSocketConnection) {
  const received: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  connection.on('message', (data) => {
    received.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const next = async (
    match: (message: Record<string, unknown>) => boolean,
    timeoutMs = 5_000,
  ): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = received.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message; got ${JSON.stringify(received)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, left).unref();
      });
    }
  };
  return { received, next };
}

/** The demo contract's TLS=1 section for the demo built in `appDir`. */
export function demoTlsSuite(name: string, appDir: string): void {
  describe(`${name} with TLS=1: HTTP/2 and HTTP/1.1 on one port`, () => {
    let demo: RunningDemo;
    beforeAll(async () => {
      demo = await startDemo(appDir, {
        TLS: '1',
        DEMO_TOKEN: TOKEN,
        ALLOWED_ORIGINS: ALLOWED_ORIGIN,
      });
    });
    afterAll(async () => {
      await demo?.stop();
    });

    it('prints an https URL and serves the page over HTTP/2', async () => {
      expect(demo.url).toMatch(/^https:/);
      const page = await h2Get(demo.port, '/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('<html');
    });

    it('echoes text as text and binary as binary on /echo over HTTP/2', async () => {
      const connection = await openTlsWebSocket(demo.port, '/echo', true);
      expect(connection.transport).toBe('h2');
      const text = nextMessageOf(connection);
      connection.send('héllo over h2');
      expect(await text).toEqual({ data: Buffer.from('héllo over h2'), isBinary: false });
      const binary = nextMessageOf(connection);
      connection.send(Buffer.from([0, 255, 7]));
      expect(await binary).toEqual({ data: Buffer.from([0, 255, 7]), isBinary: true });
      connection.close(1000);
      await expect.poll(() => demo.output()).toContain('/echo: a WebSocket over h2');
    });

    it('still accepts the HTTP/1.1 upgrade on the same port', async () => {
      const connection = await openTlsWebSocket(demo.port, '/echo', false);
      expect(connection.transport).toBe('http/1.1');
      const echoed = nextMessageOf(connection);
      connection.send('over http/1.1');
      expect((await echoed).data.toString()).toBe('over http/1.1');
      connection.close(1000);
    });

    it('carries /chat over HTTP/2 to a member on HTTP/1.1', async () => {
      const ada = await openTlsWebSocket(demo.port, `/chat?token=${TOKEN}`, true);
      const bob = await openTlsWebSocket(demo.port, `/chat?token=${TOKEN}`, false);
      const adaSees = jsonMessages(ada);
      const bobSees = jsonMessages(bob);
      ada.send(JSON.stringify({ event: 'join', data: { name: 'Ada' } }));
      await adaSees.next((m) => m.event === 'welcome');
      bob.send(JSON.stringify({ event: 'join', data: { name: 'Bob' } }));
      await bobSees.next((m) => m.event === 'welcome');
      ada.send(JSON.stringify({ event: 'message', data: { text: 'hello from h2' } }));
      const heard = await bobSees.next((m) => m.event === 'message');
      expect(heard.data).toMatchObject({ from: 'Ada', text: 'hello from h2' });
      ada.close(1000);
      bob.close(1000);
    });

    it('publishes and delivers on /live over HTTP/2', async () => {
      const connection = await openTlsWebSocket(demo.port, '/live', true);
      const messages = jsonMessages(connection);
      const topic = `tls-${Date.now()}`;
      connection.send(JSON.stringify({ type: 'subscribe', topic }));
      await messages.next((m) => m.type === 'subscribed' && m.topic === topic);
      connection.send(JSON.stringify({ type: 'publish', topic, data: { n: 1 } }));
      const delivered = await messages.next((m) => m.type === 'message' && m.topic === topic);
      expect(delivered).toMatchObject({ offset: 1, data: { n: 1 } });
      connection.close(1000);
    });

    const refusals = [
      ['a path nothing serves', '/nowhere', {}, 404, 'WSG_PATH_NOT_FOUND'],
      ['another Origin', '/echo', { Origin: 'http://evil.example' }, 403, 'WSG_ORIGIN_REFUSED'],
      ['/chat without its token', '/chat', {}, 401, 'WSG_AUTH_REQUIRED'],
      ['/chat with a wrong token', '/chat?token=wrong', {}, 403, 'WSG_FORBIDDEN'],
    ] as const;
    it.each(refusals)(
      'refuses %s with the same status, code and body over HTTP/2 and HTTP/1.1',
      async (_what, path, headers, status, code) => {
        const lower = Object.fromEntries(
          Object.entries(headers).map(([field, value]) => [field.toLowerCase(), value]),
        );
        const [h2, h1] = await Promise.all([
          h2ConnectAnswer(demo.port, path, lower),
          h1UpgradeAnswer(demo.port, path, headers),
        ]);
        expect([h2.status, h2.code]).toEqual([status, code]);
        expect([h1.status, h1.code, h1.body]).toEqual([h2.status, h2.code, h2.body]);
      },
    );
  });

  describe(`${name} with TLS=1: shutdown`, () => {
    it('closes WebSockets over HTTP/2 and HTTP/1.1 with 1001 on SIGTERM, then exits', async () => {
      const demo = await startDemo(appDir, { TLS: '1' });
      try {
        const clients = await Promise.all([
          openTlsWebSocket(demo.port, '/echo', true),
          openTlsWebSocket(demo.port, '/echo', false),
        ]);
        const closes = clients.map((client) => closeOf(client, 8_000));
        const exited = demo.stop();
        for (const closed of await Promise.all(closes)) expect(closed.code).toBe(1001);
        expect(await exited).toBe(0);
      } finally {
        await demo.stop();
      }
    });
  });
}
