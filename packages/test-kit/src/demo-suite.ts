import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launchChromium } from './chromium.js';
import { type RunningDemo, startDemo } from './demo-app.js';
import { rawRequest } from './raw-http.js';

function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    socket.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })),
  );
}

function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    socket.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString() }),
    ),
  );
}

/** Collects chat events until `predicate` holds (bounded by `timeoutMs`). */
async function chatEvents(
  socket: WebSocket,
  predicate: (events: { event: string; data: Record<string, unknown> }[]) => boolean,
  timeoutMs = 5_000,
) {
  const events: { event: string; data: Record<string, unknown> }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error(`chat events so far: ${JSON.stringify(events)}`));
    }, timeoutMs);
    const onMessage = (data: Buffer): void => {
      events.push(JSON.parse(data.toString()));
      if (predicate(events)) {
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve();
      }
    };
    socket.on('message', onMessage);
  });
  return events;
}

/**
 * The behaviour every demo app promises (shared/DEMO-CONTRACT.md), run against the built app
 * started as a user starts it. One suite for every framework.
 */
export function demoContractSuite(name: string, appDir: string): void {
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

  describe(`${name} with ALLOWED_ORIGINS`, () => {
    let demo: RunningDemo;
    beforeAll(async () => {
      demo = await startDemo(appDir, {
        ALLOWED_ORIGINS: 'http://allowed.example, http://also.example',
      });
    });
    afterAll(async () => {
      await demo?.stop();
    });

    it('refuses another Origin with 403 WSG_ORIGIN_REFUSED', async () => {
      const response = await rawRequest(demo.port, {
        path: '/echo',
        headers: { Origin: 'http://evil.example' },
      });
      expect(response.status).toBe(403);
      expect(response.headers['x-wsgate-error']).toBe('WSG_ORIGIN_REFUSED');
      expect(response.body).toContain('http://evil.example');
    });

    it('accepts an allowed Origin and a handshake without Origin', async () => {
      const allowed = await open(`ws://127.0.0.1:${demo.port}/echo`, {
        origin: 'http://also.example',
      });
      allowed.close();
      const noOrigin = await rawRequest(demo.port, {
        path: '/echo',
        timeoutMs: 1_000,
        headers: {},
      });
      expect(noOrigin.status).toBe(101);
    });
  });

  describe(`${name} on SIGTERM`, () => {
    it('closes every WebSocket with 1001 and exits within 5 s', async () => {
      const demo = await startDemo(appDir);
      const socket = await open(`ws://127.0.0.1:${demo.port}/chat`);
      const done = closed(socket);
      const started = Date.now();
      const exitCode = await demo.stop();
      expect((await done).code).toBe(1001);
      expect(exitCode).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
}

/** Two Chromium pages chat through the demo page; a bad path fails visibly and the server said 404. */
export function demoBrowserSuite(name: string, appDir: string): void {
  describe(`${name} in Chromium`, () => {
    let demo: RunningDemo;
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    beforeAll(async () => {
      demo = await startDemo(appDir);
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await demo?.stop();
    });

    it('lets two pages chat with each other', async () => {
      const ada = await (await browser.newContext()).newPage();
      const bob = await (await browser.newContext()).newPage();
      for (const [page, who] of [
        [ada, 'Ada'],
        [bob, 'Bob'],
      ] as const) {
        await page.goto(`${demo.url}/`);
        await page
          .getByTestId('status')
          .filter({ hasText: 'connected to /chat' })
          .waitFor({ timeout: 10_000 });
        await page.getByTestId('name').fill(who);
        await page.getByTestId('join').click();
        await page
          .getByTestId('messages')
          .filter({ hasText: `You joined as ${who}` })
          .waitFor({ timeout: 10_000 });
      }
      await ada.getByTestId('text').fill('hello from Ada');
      await ada.getByTestId('send').click();
      await bob
        .getByTestId('messages')
        .filter({ hasText: 'Ada: hello from Ada' })
        .waitFor({ timeout: 10_000 });
      await bob.getByTestId('online').filter({ hasText: 'Ada' }).waitFor({ timeout: 10_000 });
      await ada.context().close();
      await bob
        .getByTestId('messages')
        .filter({ hasText: 'Ada left.' })
        .waitFor({ timeout: 10_000 });
      await bob.context().close();
    });

    it('shows a failed attempt to a bad path on the page with the code, cause and fix the server recorded (404)', async () => {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${demo.url}/`);
      await page.getByTestId('try-path').fill('/no-such-path');
      const started = Date.now();
      await page.getByTestId('try').click();
      await page
        .getByTestId('diagnosis-result')
        .filter({ hasText: 'failed' })
        .waitFor({ timeout: 5_000 });
      expect(Date.now() - started).toBeLessThan(5_000);
      // Browsers hide the status; the page asked the server's refusal journal for this attempt.
      await page
        .getByTestId('diagnosis-code')
        .filter({ hasText: 'WSG_PATH_NOT_FOUND' })
        .waitFor({ timeout: 5_000 });
      expect(await page.getByTestId('diagnosis-result').textContent()).toContain(
        'the server answered 404',
      );
      expect(await page.getByTestId('diagnosis-fix').textContent()).toMatch(/path/);
      const response = await rawRequest(demo.port, { path: '/no-such-path' });
      expect(response.status).toBe(404);
      await page.context().close();
    });
  });
}
