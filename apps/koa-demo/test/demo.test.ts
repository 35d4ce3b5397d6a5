import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  demoBrowserSuite,
  demoContractSuite,
  launchChromium,
  type RunningDemo,
  rawRequest,
  startDemo,
} from '@wsgate/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');

demoContractSuite('koa-demo', appDir);
demoBrowserSuite('koa-demo', appDir);

describe('koa-demo on its own', () => {
  let demo: RunningDemo;
  beforeAll(async () => {
    demo = await startDemo(appDir);
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it('says which framework serves it on GET /framework', async () => {
    const response = await fetch(`${demo.url}/framework`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^Koa 3\.\d+\.\d+$/);
  });

  it('answers a WebSocket attempt on the page path / with 404, not the page', async () => {
    const response = await rawRequest(demo.port, { path: '/' });
    expect(response.status).toBe(404);
    expect(response.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
    expect(response.body).not.toContain('<html');
  });

  it('shows on the page the code the server refused a bad path with', async () => {
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${demo.url}/`);
      await page.getByTestId('try-path').fill('/no-such-path');
      await page.getByTestId('try').click();
      await page
        .getByTestId('diagnosis-code')
        .filter({ hasText: 'WSG_PATH_NOT_FOUND' })
        .waitFor({ timeout: 10_000 });
      await expect(page.getByTestId('diagnosis-result').textContent()).resolves.toContain(
        'the server answered 404',
      );
    } finally {
      await browser.close();
    }
  }, 60_000);
});
