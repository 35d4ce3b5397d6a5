import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launchChromium } from './chromium.js';
import { type RunningDemo, startDemo } from './demo-app.js';
import { rawRequest } from './raw-http.js';

/** The sample of `metric` whose labels include every one of `labels`, or undefined. */
export function sampleValue(
  exposition: string,
  metric: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== metric) continue;
    const present = match[2] ?? '';
    if (Object.entries(labels).every(([name, value]) => present.includes(`${name}="${value}"`)))
      return Number(match[3]);
  }
  return undefined;
}

async function scrape(demo: RunningDemo): Promise<string> {
  const response = await fetch(`${demo.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/**
 * `GET /metrics` (shared/DEMO-CONTRACT.md): the app's WebSocket metrics, produced through
 * OpenTelemetry, in the Prometheus text format, scraped from the built app as Prometheus would.
 */
export function demoMetricsSuite(name: string, appDir: string): void {
  describe(`${name} serves GET /metrics`, () => {
    let demo: RunningDemo;
    beforeAll(async () => {
      demo = await startDemo(appDir, { MAX_PAYLOAD: '1024' });
    });
    afterAll(async () => {
      await demo?.stop();
    });

    it('shows a refused handshake and a closed connection with their code label, and the open connections', async () => {
      const refused = await rawRequest(demo.port, {
        path: '/echo',
        headers: { 'Sec-WebSocket-Version': '8' },
      });
      expect(refused.status).toBe(426);
      const socket = new WebSocket(`ws://127.0.0.1:${demo.port}/echo`);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const whileOpen = await scrape(demo);
      expect(sampleValue(whileOpen, 'wsgate_server_active_connections')).toBe(1);
      expect(
        sampleValue(whileOpen, 'wsgate_server_handshakes_total', {
          wsgate_outcome: 'refused',
          code: 'WSG_VERSION_UNSUPPORTED',
        }),
      ).toBe(1);
      expect(
        sampleValue(whileOpen, 'wsgate_server_handshakes_total', { wsgate_outcome: 'accepted' }),
      ).toBe(1);

      // Over MAX_PAYLOAD: the server closes with 1009 WSG_MESSAGE_TOO_BIG.
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      socket.send('x'.repeat(2048));
      expect(await closed).toBe(1009);
      let afterClose = await scrape(demo);
      // The server counts the close once its socket has closed: a moment after the client's.
      for (let attempt = 0; attempt < 50; attempt++) {
        if (sampleValue(afterClose, 'wsgate_server_active_connections') === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
        afterClose = await scrape(demo);
      }
      expect(sampleValue(afterClose, 'wsgate_server_active_connections')).toBe(0);
      expect(
        sampleValue(afterClose, 'wsgate_server_closes_total', {
          code: 'WSG_MESSAGE_TOO_BIG',
          wsgate_close_code: '1009',
        }),
      ).toBe(1);
      const names = afterClose
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => line.split(/[{ ]/)[0]);
      expect(names.filter((metricName) => !metricName?.startsWith('wsgate_'))).toEqual([]);
    });

    it('shows the open connections and the refusals by code in the page, from /metrics', async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`${demo.url}/`);
        // The page's own chat connection is open once it says so.
        await page
          .getByTestId('status')
          .filter({ hasText: 'connected to /chat' })
          .waitFor({ timeout: 10_000 });
        await rawRequest(demo.port, {
          path: '/no-such-path',
          headers: { Origin: demo.url },
        });
        await page
          .getByTestId('metrics-refusals')
          .filter({ hasText: 'WSG_PATH_NOT_FOUND' })
          .waitFor({ timeout: 10_000 });
        const open = page.getByTestId('metrics-open');
        await open.filter({ hasText: /^[1-9]\d*$/ }).waitFor({ timeout: 10_000 });
      } finally {
        await browser.close();
      }
    }, 60_000);
  });
}
