import { connect } from 'node:net';
import { catalogue, type ErrorCode } from '@wsgate/core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launchChromium } from './chromium.js';
import { type RunningDemo, startDemo } from './demo-app.js';
import { waitFor } from './net.js';
import { pythonMessageLimitProbe } from './python-client.js';
import { dripRequest, rawRequest } from './raw-http.js';

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

    it('refuses another Origin with 403 WSG_ORIGIN_REFUSED on /echo and /chat', async () => {
      for (const path of ['/echo', '/chat']) {
        const response = await rawRequest(demo.port, {
          path,
          headers: { Origin: 'http://evil.example' },
        });
        expect(response.status).toBe(403);
        expect(response.headers['x-wsgate-error']).toBe('WSG_ORIGIN_REFUSED');
        expect(response.body).toContain('http://evil.example');
        expect(response.closedByServer).toBe(true);
      }
    });

    it('accepts an allowed Origin and a handshake without Origin', async () => {
      for (const path of ['/echo', '/chat']) {
        const allowed = await open(`ws://127.0.0.1:${demo.port}${path}`, {
          origin: 'http://also.example',
        });
        allowed.close();
        const noOrigin = await open(`ws://127.0.0.1:${demo.port}${path}`);
        noOrigin.close();
      }
      const raw = await rawRequest(demo.port, { path: '/echo', timeoutMs: 1_000, headers: {} });
      expect(raw.status).toBe(101);
    });
  });

  describe(`${name} with DEMO_TOKEN`, () => {
    let demo: RunningDemo;
    beforeAll(async () => {
      demo = await startDemo(appDir, { DEMO_TOKEN: 's3cret' });
    });
    afterAll(async () => {
      await demo?.stop();
    });

    it('refuses /chat without a token at the handshake with 401 WSG_AUTH_REQUIRED and WWW-Authenticate', async () => {
      const response = await rawRequest(demo.port, { path: '/chat', timeoutMs: 5_000 });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="chat"');
      expect(response.headers['x-wsgate-error']).toBe('WSG_AUTH_REQUIRED');
      expect(response.body).toContain('the chat needs ?token= (DEMO_TOKEN is set)');
      expect(response.closedByServer).toBe(true);
    });

    it('refuses /chat with a wrong token with 403 WSG_FORBIDDEN', async () => {
      for (const token of ['guess', 's3cre', 's3cret-and-more']) {
        const response = await rawRequest(demo.port, {
          path: `/chat?token=${token}`,
          timeoutMs: 5_000,
        });
        expect(response.status).toBe(403);
        expect(response.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
        expect(response.closedByServer).toBe(true);
      }
    });

    it('accepts the right token on /chat, and leaves /echo open', async () => {
      const chat = await open(`ws://127.0.0.1:${demo.port}/chat?token=s3cret`);
      const welcome = chatEvents(chat, (events) => events.some((e) => e.event === 'welcome'));
      chat.send(JSON.stringify({ event: 'join', data: { name: 'Ada' } }));
      await welcome;
      chat.close(1000);
      const echo = await open(`ws://127.0.0.1:${demo.port}/echo`);
      echo.close(1000);
    });
  });

  describe(`${name} with its defaults`, () => {
    let demo: RunningDemo;
    beforeAll(async () => {
      // HOST and MAX_PAYLOAD unset: 127.0.0.1 and 16 MiB (PORT stays 0 in tests).
      demo = await startDemo(appDir, { HOST: '', MAX_PAYLOAD: '' });
    });
    afterAll(async () => {
      await demo?.stop();
    });

    it('listens on 127.0.0.1 and prints the URL it serves', () => {
      expect(demo.output()).toContain(`http://127.0.0.1:${demo.port}/`);
    });

    it('echoes a 16 MiB message on /echo and closes with 1009 for one byte more', async () => {
      const limit = 16 * 1024 * 1024;
      const socket = await open(`ws://127.0.0.1:${demo.port}/echo`, { perMessageDeflate: false });
      socket.send(Buffer.alloc(limit, 1));
      const echoed = await nextMessage(socket);
      expect(echoed.isBinary).toBe(true);
      expect(echoed.data.length).toBe(limit);
      const done = closed(socket);
      socket.send(Buffer.alloc(limit + 1, 2));
      const { code, reason } = await done;
      expect(code).toBe(1009);
      expect(reason).toMatch(/^WSG_MESSAGE_TOO_BIG/);
    }, 30_000);

    // Random bytes do not compress: Python websockets (zlib, memLevel 5) sends 16 MiB of them
    // as about 16.04 MiB of DEFLATE data, which inflates to exactly the limit.
    it('echoes 16 MiB of random bytes from Python websockets on /echo, compressed and not, and closes with 1009 for one byte more', async () => {
      const limit = 16 * 1024 * 1024;
      const probe = await pythonMessageLimitProbe(`ws://127.0.0.1:${demo.port}/echo`, limit);
      for (const outcome of [probe.compressed, probe.uncompressed]) {
        expect(outcome.at_limit).toEqual({ length: limit, equal: true });
        expect(outcome.over_limit.code).toBe(1009);
        expect(outcome.over_limit.reason).toMatch(/^WSG_MESSAGE_TOO_BIG/);
      }
    }, 180_000);
  });

  describe(`${name} on SIGTERM`, () => {
    it('closes every WebSocket (on /chat and /echo) with 1001 and exits within 5 s', async () => {
      const demo = await startDemo(appDir);
      const base = `ws://127.0.0.1:${demo.port}`;
      const sockets = await Promise.all([
        open(`${base}/chat`),
        open(`${base}/chat`),
        open(`${base}/echo`),
      ]);
      const closes = sockets.map((socket) => closed(socket));
      const started = Date.now();
      const exitCode = await demo.stop();
      for (const done of await Promise.all(closes)) {
        expect(done).toMatchObject({
          code: 1001,
          reason: expect.stringMatching(/^WSG_SERVER_SHUTDOWN/),
        });
      }
      expect(exitCode).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
}

/**
 * Two Chromium pages chat through the demo page; a failed attempt (a bad path, a refused Origin,
 * the DEMO_TOKEN guard) shows on the page with the code, cause and fix the server recorded.
 */
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
      // Who is online, as each page lists it.
      for (const page of [ada, bob]) {
        await page
          .getByTestId('online')
          .filter({ hasText: 'Ada' })
          .filter({ hasText: 'Bob' })
          .waitFor({ timeout: 10_000 });
      }
      await ada.context().close();
      await bob
        .getByTestId('messages')
        .filter({ hasText: 'Ada left.' })
        .waitFor({ timeout: 10_000 });
      await bob.getByTestId('online').filter({ hasNotText: 'Ada' }).waitFor({ timeout: 10_000 });
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
      expect(await page.getByTestId('diagnosis-cause').textContent()).toContain(
        'no WebSocket route for the requested path',
      );
      expect(await page.getByTestId('diagnosis-fix').textContent()).toContain('Connect to a path');
      const response = await rawRequest(demo.port, { path: '/no-such-path' });
      expect(response.status).toBe(404);
      await page.context().close();
    });

    describe('with ALLOWED_ORIGINS set to another origin than the page', () => {
      let elsewhere: RunningDemo;
      beforeAll(async () => {
        elsewhere = await startDemo(appDir, { ALLOWED_ORIGINS: 'http://elsewhere.example' });
      });
      afterAll(async () => {
        await elsewhere?.stop();
      });

      it('shows WSG_ORIGIN_REFUSED with its cause and fix for the chat and a tried path, which Chromium saw refused with 403', async () => {
        const page = await (await browser.newContext()).newPage();
        page.setDefaultTimeout(5_000);
        const failures = handshakeFailures(page);
        await page.goto(`${elsewhere.url}/`);
        // The page's own connection to /chat is refused; its status and the panel say so.
        await page
          .getByTestId('status')
          .filter({ hasText: 'could not connect to /chat' })
          .waitFor({ timeout: 5_000 });
        await expectDiagnosis(page, '/chat', 'WSG_ORIGIN_REFUSED', 403);
        // The demo's own setting is named by the page, not by the catalogue.
        expect(await page.getByTestId('diagnosis-note').textContent()).toContain('ALLOWED_ORIGINS');
        // ALLOWED_ORIGINS guards /echo as well: tried from the panel.
        await page.getByTestId('try-path').fill('/echo');
        await page.getByTestId('try').click();
        await expectDiagnosis(page, '/echo', 'WSG_ORIGIN_REFUSED', 403);
        await expectChromiumSaw(failures, '/chat', 'Unexpected response code: 403');
        await expectChromiumSaw(failures, '/echo', 'Unexpected response code: 403');
        await page.context().close();
      });
    });

    describe('with DEMO_TOKEN set', () => {
      let guarded: RunningDemo;
      beforeAll(async () => {
        guarded = await startDemo(appDir, { DEMO_TOKEN: 's3cret' });
      });
      afterAll(async () => {
        await guarded?.stop();
      });

      it("shows the guard's WSG_AUTH_REQUIRED without a token and WSG_FORBIDDEN for a wrong one, with cause and fix, which Chromium saw refused with 401 and 403", async () => {
        const page = await (await browser.newContext()).newPage();
        page.setDefaultTimeout(5_000);
        const failures = handshakeFailures(page);
        await page.goto(`${guarded.url}/`);
        await page
          .getByTestId('status')
          .filter({ hasText: 'could not connect to /chat' })
          .waitFor({ timeout: 5_000 });
        await expectDiagnosis(page, '/chat', 'WSG_AUTH_REQUIRED', 401);
        await page.getByTestId('try-path').fill('/chat?token=wrong');
        await page.getByTestId('try').click();
        await expectDiagnosis(page, '/chat?token=wrong', 'WSG_FORBIDDEN', 403);
        // Chromium met the 401's Bearer challenge (it has no credentials to answer it with).
        await expectChromiumSaw(failures, '/chat?wsgate_attempt=', 'HTTP Authentication failed');
        await expectChromiumSaw(failures, '/chat?token=wrong&', 'Unexpected response code: 403');
        await page.context().close();
        const missing = await rawRequest(guarded.port, { path: '/chat', timeoutMs: 5_000 });
        expect(missing.status).toBe(401);
        expect(missing.headers['www-authenticate']).toBe('Bearer realm="chat"');
        expect(missing.headers['x-wsgate-error']).toBe('WSG_AUTH_REQUIRED');
        expect(missing.body).toContain('the chat needs ?token=');
      });

      it('connects the chat of a page opened with the right ?token=', async () => {
        const page = await (await browser.newContext()).newPage();
        page.setDefaultTimeout(5_000);
        const failures = handshakeFailures(page);
        await page.goto(`${guarded.url}/?token=s3cret`);
        await page
          .getByTestId('status')
          .filter({ hasText: 'connected to /chat' })
          .waitFor({ timeout: 5_000 });
        await page.getByTestId('name').fill('Ada');
        await page.getByTestId('join').click();
        await page
          .getByTestId('messages')
          .filter({ hasText: 'You joined as Ada' })
          .waitFor({ timeout: 5_000 });
        await page.getByTestId('text').fill('hello with a token');
        await page.getByTestId('send').click();
        await page
          .getByTestId('messages')
          .filter({ hasText: 'Ada: hello with a token' })
          .waitFor({ timeout: 5_000 });
        expect(await page.getByTestId('diagnosis').isHidden()).toBe(true);
        expect(failures).toEqual([]);
        await page.context().close();
      });
    });
  });
}

/**
 * What Chromium itself reports of each WebSocket handshake of the page that failed (its network
 * layer sees the status; the page's script sees only close code 1006). Call before `goto`.
 */
function handshakeFailures(page: Page): { readonly url: string; readonly error: string }[] {
  const failures: { url: string; error: string }[] = [];
  page.on('websocket', (socket) => {
    socket.on('socketerror', (error) => failures.push({ url: socket.url(), error }));
  });
  return failures;
}

/**
 * `seen` is Chromium's own words: "Unexpected response code: 403", or "HTTP Authentication
 * failed" for a 401 whose challenge (Bearer) it has no credentials for.
 */
async function expectChromiumSaw(
  failures: readonly { readonly url: string; readonly error: string }[],
  urlPart: string,
  seen: string,
): Promise<void> {
  const failure = () => failures.find((f) => f.url.includes(urlPart));
  await waitFor(() => failure() !== undefined, {
    timeoutMs: 5_000,
    what: `Chromium to report the failed handshake to ${urlPart} (so far: ${JSON.stringify(failures)})`,
  });
  expect(failure()?.error).toContain(seen);
}

/**
 * The "what went wrong" panel explains the failed attempt to `path` with `code`, the status the
 * server answered, and the catalogue's own cause and fix (within 5 s: it never hangs).
 */
async function expectDiagnosis(
  page: Page,
  path: string,
  code: ErrorCode,
  status: number,
): Promise<void> {
  await page
    .getByTestId('diagnosis-result')
    .filter({ hasText: `connection to ${path} failed` })
    .filter({ hasText: `the server answered ${status}` })
    .waitFor({ timeout: 5_000 });
  expect(await page.getByTestId('diagnosis-code').textContent()).toBe(code);
  expect(await page.getByTestId('diagnosis-cause').textContent()).toBe(catalogue[code].cause);
  expect(await page.getByTestId('diagnosis-fix').textContent()).toBe(catalogue[code].fix);
}
