import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../chromium.js';
import { type RunningDemo, startDemo } from '../demo-app.js';
import { rawRequest } from '../raw-http.js';
import { expectChromiumSaw, expectDiagnosis, handshakeFailures } from './browser-diagnosis.js';

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
