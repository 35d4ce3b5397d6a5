import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.js';
import { type RunningDemo, startDemo } from './demo-app.js';
import { type RedisServer, startRedis } from './redis-server.js';

const WAIT_MS = 10_000;

/** Waits until the element `testId` shows `text` (Playwright polls the page's DOM). */
function shows(page: Page, testId: string, text: string): Promise<void> {
  return page.getByTestId(testId).filter({ hasText: text }).waitFor({ timeout: WAIT_MS });
}

async function onlineNames(page: Page): Promise<string[]> {
  return page.getByTestId('online').locator('li').allTextContents();
}

/** Waits until the page's Online list is exactly `names`. */
async function showsOnline(page: Page, names: readonly string[]): Promise<void> {
  const wanted = JSON.stringify(names);
  await page.waitForFunction(
    (expected) =>
      JSON.stringify(
        [...(document.getElementById('online')?.children ?? [])].map((item) => item.textContent),
      ) === expected,
    wanted,
    { timeout: WAIT_MS },
  );
}

/** Submits the name form: Join before the page is in the room, Rename after. */
async function submitName(page: Page, name: string): Promise<void> {
  await page.getByTestId('name').fill(name);
  await page.getByTestId('join').click();
}

/**
 * What goes wrong in the page as Chromium sees it: console errors, uncaught exceptions, failed
 * requests and HTTP errors (a missing favicon is a 404 in the console). Call before `goto`.
 */
function pageTrouble(page: Page): string[] {
  const trouble: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') trouble.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => trouble.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) =>
    trouble.push(`failed: ${request.url()} ${request.failure()?.errorText}`),
  );
  page.on('response', (response) => {
    if (response.status() >= 400) trouble.push(`${response.status()}: ${response.url()}`);
  });
  return trouble;
}

/**
 * The demo page in Chromium, on two instances of the app sharing one real Redis (one chat room):
 * names unique across the room, renames, the Join button while /chat is refused, any path in the
 * "What went wrong?" panel, the echo box, and a page that loads without an error.
 */
export function demoPageSuite(name: string, appDir: string): void {
  describe(`${name}'s page in Chromium, two instances on one Redis`, () => {
    let redis: RedisServer;
    let one: RunningDemo;
    let two: RunningDemo;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    const extraDemos: RunningDemo[] = [];

    beforeAll(async () => {
      redis = await startRedis();
      [one, two] = await Promise.all([
        startDemo(appDir, { REDIS_URL: redis.url }),
        startDemo(appDir, { REDIS_URL: redis.url }),
      ]);
      browser = await launchChromium();
    }, 60_000);
    afterEach(async () => {
      for (const context of contexts.splice(0)) await context.close();
      for (const demo of extraDemos.splice(0)) await demo.stop();
    });
    afterAll(async () => {
      await browser?.close();
      await one?.stop();
      await two?.stop();
      await redis?.kill();
    });

    /** A fresh browser profile with the app's own page open (the page then opens /chat). */
    async function newPage(): Promise<Page> {
      const context = await browser.newContext();
      contexts.push(context);
      return context.newPage();
    }

    async function openChat(demo: RunningDemo): Promise<Page> {
      const page = await newPage();
      await page.goto(`${demo.url}/`);
      await shows(page, 'status', 'connected to /chat');
      return page;
    }

    async function joined(demo: RunningDemo, who: string): Promise<Page> {
      const page = await openChat(demo);
      await submitName(page, who);
      await shows(page, 'messages', `You joined as ${who}.`);
      return page;
    }

    it('loads with no error in the console and no failed request, and says in one line what it shows and what to try', async () => {
      const page = await newPage();
      const trouble = pageTrouble(page);
      // networkidle: nothing (the favicon included) is still loading.
      await page.goto(`${one.url}/`, { waitUntil: 'networkidle' });
      await shows(page, 'status', 'connected to /chat');
      await page
        .locator('#framework')
        .filter({ hasText: /\d+\.\d+/ })
        .waitFor({ timeout: WAIT_MS });
      expect(trouble).toEqual([]);
      const intro = await page.getByTestId('intro').textContent();
      for (const part of ['/chat', '/echo', 'REDIS_URL', 'What went wrong?'])
        expect(intro).toContain(part);
    });

    it('lets two pages on two instances chat: each shows the other one message and both names online', async () => {
      const ada = await joined(one, 'Ada');
      const bob = await joined(two, 'Bob');
      await ada.getByTestId('text').fill('hello from the first instance');
      await ada.getByTestId('send').click();
      await bob.getByTestId('text').fill('hello from the second instance');
      await bob.getByTestId('send').click();
      await shows(bob, 'messages', 'Ada: hello from the first instance');
      await shows(ada, 'messages', 'Bob: hello from the second instance');
      await showsOnline(ada, ['Ada', 'Bob']);
      await showsOnline(bob, ['Ada', 'Bob']);
    });

    it('refuses a name held on the other instance next to the name field, and tells everyone of a rename, refused as well when taken', async () => {
      const ada = await joined(one, 'Ada');
      const other = await openChat(two);
      // Names differing only in case are one name.
      await submitName(other, 'ada');
      await shows(other, 'name-error', 'the name ada is taken');
      expect(await other.getByTestId('join').textContent()).toBe('Join');
      expect(await other.getByTestId('text').isDisabled()).toBe(true);
      await submitName(other, 'Bob');
      await shows(other, 'messages', 'You joined as Bob.');
      expect(await other.getByTestId('name-error').isHidden()).toBe(true);
      await showsOnline(ada, ['Ada', 'Bob']);

      await submitName(other, 'ADA');
      await shows(other, 'name-error', 'the name ADA is taken');
      await submitName(other, 'Bea');
      await shows(other, 'messages', 'You are now Bea.');
      await shows(ada, 'messages', 'Bob is now Bea.');
      await showsOnline(ada, ['Ada', 'Bea']);
      await showsOnline(other, ['Ada', 'Bea']);
      // The old name is free again, for anyone.
      await submitName(ada, 'Bob');
      await shows(other, 'messages', 'Ada is now Bob.');
      await showsOnline(other, ['Bea', 'Bob']);
      await other.getByTestId('text').fill('renamed twice over');
      await other.getByTestId('send').click();
      await shows(ada, 'messages', 'Bea: renamed twice over');
      expect(await onlineNames(ada)).toEqual(['Bea', 'Bob']);
    });

    it('disables Join while /chat is refused and enables it again once a reconnect is accepted', async () => {
      const refusing = await startDemo(appDir, { ALLOWED_ORIGINS: 'http://elsewhere.example' });
      extraDemos.push(refusing);
      const page = await newPage();
      await page.goto(`${refusing.url}/`);
      await shows(page, 'status', 'could not connect to /chat');
      await shows(page, 'diagnosis-code', 'WSG_ORIGIN_REFUSED');
      expect(await page.getByTestId('join').isDisabled()).toBe(true);
      expect(await page.getByTestId('reconnect').isVisible()).toBe(true);

      // The same address, now without the allow-list: the page's next try is accepted.
      await refusing.stop();
      const fixed = await startDemo(appDir, { PORT: String(refusing.port) });
      extraDemos.push(fixed);
      await page.getByTestId('reconnect').click();
      await shows(page, 'status', 'connected to /chat');
      expect(await page.getByTestId('join').isEnabled()).toBe(true);
      expect(await page.getByTestId('reconnect').isHidden()).toBe(true);
      await submitName(page, 'Ada');
      await shows(page, 'messages', 'You joined as Ada.');
    });

    it('"What went wrong?" takes any path typed, # and ? and spaces included, and shows a result for each', async () => {
      const page = await newPage();
      const trouble = pageTrouble(page);
      await page.goto(`${one.url}/`);
      await shows(page, 'status', 'connected to /chat');
      const cases = [
        // A typed # is part of the path: RFC 6455 §3 allows no fragment in a WebSocket URL.
        { typed: '/no such#path?x=1 y', result: 'connection to /no%20such%23path?x=1%20y failed' },
        { typed: 'echo#top', result: 'connection to /echo%23top failed' },
        { typed: ' /echo?from=panel#here ', result: 'connected to /echo?from=panel%23here' },
        { typed: '/?', result: 'connection to / failed' },
      ];
      for (const { typed, result } of cases) {
        await page.getByTestId('try-path').fill(typed);
        await page.getByTestId('try').click();
        await shows(page, 'diagnosis-result', result);
        const code = await page.getByTestId('diagnosis-code').textContent();
        expect(code, typed).toBe(result.startsWith('connected') ? '101' : 'WSG_PATH_NOT_FOUND');
      }
      // The refused attempts were 404s, which Chromium reports on the console; nothing else went wrong.
      expect(trouble.filter((line) => !line.includes('404'))).toEqual([]);
    });

    it('sends the echo box text to /echo and shows what came back', async () => {
      const page = await newPage();
      const echoed: string[] = [];
      page.on('websocket', (socket) => {
        if (new URL(socket.url()).pathname === '/echo')
          socket.on('framereceived', (frame) => echoed.push(String(frame.payload)));
      });
      await page.goto(`${two.url}/`);
      await page.getByTestId('echo-text').fill('héllo, echo #1 👋');
      await page.getByTestId('echo-send').click();
      await shows(page, 'echo-result', '/echo sent back: héllo, echo #1 👋');
      expect(echoed).toEqual(['héllo, echo #1 👋']);
    });
  });
}
