import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../chromium.js';
import { type RunningDemo, startDemo } from '../demo-app.js';

/**
 * Chromium on a demo served with TLS=1: it loads the page over HTTP/2 and, since the server
 * advertised SETTINGS_ENABLE_CONNECT_PROTOCOL on that connection (RFC 8441 §3), opens its
 * WebSocket to the same origin as an extended CONNECT stream of it. The demo prints the HTTP
 * version of the first WebSocket of each kind on /echo (`/echo: a WebSocket over h2`).
 */
export function demoBrowserH2Suite(name: string, appDir: string): void {
  describe(`${name} with TLS=1 in Chromium`, () => {
    let demo: RunningDemo;
    let browser: Browser;
    beforeAll(async () => {
      demo = await startDemo(appDir, { TLS: '1' });
      // The certificate is the self-signed one the demo made at start.
      browser = await launchChromium(['--ignore-certificate-errors']);
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop();
    });

    it('loads the page over HTTP/2 and echoes through a WebSocket on the same HTTP/2 connection', async () => {
      const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
      await page.goto(`${demo.url}/`);
      const protocol = await page.evaluate(
        () =>
          (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming)
            .nextHopProtocol,
      );
      expect(protocol).toBe('h2');
      const echoed = await page.evaluate(
        (url) =>
          new Promise<string>((resolve, reject) => {
            const socket = new WebSocket(url);
            socket.onopen = () => socket.send('hello over h2 from Chromium');
            socket.onmessage = (event) => {
              resolve(String(event.data));
              socket.close(1000);
            };
            socket.onerror = () => reject(new Error('the WebSocket failed'));
          }),
        `${demo.url.replace(/^https/, 'wss')}/echo`,
      );
      expect(echoed).toBe('hello over h2 from Chromium');
      // On the server's side: the WebSocket came as an extended CONNECT, not an HTTP/1.1 upgrade.
      await expect.poll(() => demo.output()).toContain('/echo: a WebSocket over h2');
      expect(demo.output()).not.toContain('/echo: a WebSocket over http/1.1');
      await page.context().close();
    });
  });
}
