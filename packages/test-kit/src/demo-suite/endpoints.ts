import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../demo-app.js';
import { dripRequest, rawRequest } from '../raw-http.js';
import { chatEvents, closed, nextMessage, open } from './clients.js';

/** The page, /echo and /chat, and the refusals a demo answers with its test settings. */
export function describeDemoEndpoints(name: string, appDir: string): void {
  describe(`${name} follows the demo contract`, () => {
    let demo: RunningDemo;
    let ws: string;
    beforeAll(async () => {
      demo = await startDemo(appDir, { MAX_PAYLOAD: String(1024 * 1024) });
      ws = `ws://127.0.0.1:${demo.port}`;
    });
    afterAll(async () => {
      await demo?.stop();
    });

    it('serves the browser page on GET /', async () => {
      const response = await fetch(`${demo.url}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      expect(await response.text()).toContain('wsgate demo');
    });

    it('echoes text as text and binary as binary on /echo, with permessage-deflate', async () => {
      const socket = await open(`${ws}/echo`);
      expect(socket.extensions).toContain('permessage-deflate');
      socket.send('héllo wsgate');
      const text = await nextMessage(socket);
      expect(text.isBinary).toBe(false);
      expect(text.data.toString()).toBe('héllo wsgate');
      const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
      socket.send(bytes);
      const binary = await nextMessage(socket);
      expect(binary.isBinary).toBe(true);
      expect(Buffer.compare(binary.data, bytes)).toBe(0);
      const big = Buffer.alloc(512 * 1024, 7);
      socket.send(big);
      const echoed = await nextMessage(socket);
      expect(echoed.data.length).toBe(big.length);
      socket.close(1000);
      expect((await closed(socket)).code).toBe(1000);
    });

    it('closes /echo with 1009 for a message over MAX_PAYLOAD', async () => {
      const socket = await open(`${ws}/echo`, { perMessageDeflate: false });
      const done = closed(socket);
      socket.send(Buffer.alloc(1024 * 1024 + 1));
      const { code, reason } = await done;
      expect(code).toBe(1009);
      expect(reason).toMatch(/^WSG_MESSAGE_TOO_BIG/);
    });

    it('broadcasts chat messages with join and leave notices on /chat', async () => {
      const ada = await open(`${ws}/chat`);
      const bob = await open(`${ws}/chat`);
      const adaWelcome = chatEvents(ada, (events) => events.some((e) => e.event === 'welcome'));
      ada.send(JSON.stringify({ event: 'join', data: { name: 'Ada' } }));
      await adaWelcome;
      const adaSeesBob = chatEvents(ada, (events) => events.some((e) => e.event === 'joined'));
      const bobWelcome = chatEvents(bob, (events) => events.some((e) => e.event === 'welcome'));
      bob.send(JSON.stringify({ event: 'join', data: { name: 'Bob' } }));
      const welcome = await bobWelcome;
      expect(welcome.find((e) => e.event === 'welcome')?.data.online).toEqual(['Ada', 'Bob']);
      expect((await adaSeesBob).find((e) => e.event === 'joined')?.data.name).toBe('Bob');
      const adaHears = chatEvents(ada, (events) => events.some((e) => e.event === 'message'));
      bob.send(JSON.stringify({ event: 'message', data: { text: 'hello Ada' } }));
      const heard = (await adaHears).find((e) => e.event === 'message');
      expect(heard?.data).toMatchObject({ from: 'Bob', text: 'hello Ada' });
      const adaSeesLeave = chatEvents(ada, (events) => events.some((e) => e.event === 'left'));
      bob.close(1000);
      expect((await adaSeesLeave).find((e) => e.event === 'left')?.data).toMatchObject({
        name: 'Bob',
        online: ['Ada'],
      });
      ada.close(1000);
    });

    it('answers an upgrade to an unknown path with 404 and the taxonomy body, never 101', async () => {
      const response = await rawRequest(demo.port, { path: '/no-such-path', timeoutMs: 5_000 });
      expect(response.status).toBe(404);
      expect(response.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
      expect(response.body).toContain('WSG_PATH_NOT_FOUND');
      expect(response.closedByServer).toBe(true);
    });

    it('cuts off a handshake sent one byte a second with 408 WSG_HANDSHAKE_TIMEOUT within 10 s', async () => {
      const { response, elapsedMs, sent } = await dripRequest(demo.port, {
        path: '/echo',
        intervalMs: 1_000,
        timeoutMs: 15_000,
      });
      expect(response.status).toBe(408);
      expect(response.headers['x-wsgate-error']).toBe('WSG_HANDSHAKE_TIMEOUT');
      expect(response.closedByServer).toBe(true);
      expect(sent).toBeLessThan(40);
      expect(elapsedMs).toBeLessThan(11_500);
    }, 20_000);

    it('keeps serving after clients reset their connections right after refusals', async () => {
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect({ port: demo.port, host: '127.0.0.1' });
          socket.on('error', () => {});
          socket.on('connect', () =>
            socket.write(
              `GET /no-such-path HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
            ),
          );
          // The 404 left unread: closing now sends RST, not FIN.
          socket.once('readable', () => {
            socket.resetAndDestroy();
            resolve();
          });
        });
      }
      const socket = await open(`${ws}/echo`);
      const answer = nextMessage(socket);
      socket.send('still serving');
      expect((await answer).data.toString()).toBe('still serving');
      socket.close();
    });

    it('answers an upgrade to the page path / with 404, not the page', async () => {
      const response = await rawRequest(demo.port, { path: '/', timeoutMs: 5_000 });
      expect(response.status).toBe(404);
      expect(response.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
      expect(response.body).not.toContain('<html');
      expect(response.closedByServer).toBe(true);
    });

    it('answers a plain GET /echo with 426 and Upgrade: websocket', async () => {
      const response = await fetch(`${demo.url}/echo`);
      expect(response.status).toBe(426);
      expect(response.headers.get('upgrade')).toBe('websocket');
      expect(await response.text()).toContain('WSG_NOT_WEBSOCKET');
    });

    it('answers version 8 with 426 and Sec-WebSocket-Version: 13', async () => {
      const response = await rawRequest(demo.port, {
        path: '/echo',
        headers: { 'Sec-WebSocket-Version': '8' },
      });
      expect(response.status).toBe(426);
      expect(response.headers['sec-websocket-version']).toBe('13');
      expect(response.headers['x-wsgate-error']).toBe('WSG_VERSION_UNSUPPORTED');
    });
  });
}
