import { fileURLToPath } from 'node:url';
import {
  demoBrowserSuite,
  demoContractSuite,
  demoHostileSuite,
  type RunningDemo,
  rawRequest,
  startDemo,
} from '@wsgate/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));

demoContractSuite('express-demo', appDir);
demoBrowserSuite('express-demo', appDir);
demoHostileSuite('express-demo', appDir);

describe('express-demo', () => {
  let demo: RunningDemo;
  beforeAll(async () => {
    demo = await startDemo(appDir);
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it('names its framework and major version on GET /framework', async () => {
    const response = await fetch(`${demo.url}/framework`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^Express 5\.\d+\.\d+$/);
  });

  it('tells the page why a tagged attempt was refused', async () => {
    const attempt = 'express-demo-attempt-0001';
    const refused = await rawRequest(demo.port, {
      path: `/no-such-path?wsgate_attempt=${attempt}`,
    });
    expect(refused.status).toBe(404);
    const lookup = await fetch(`${demo.url}/.well-known/wsgate/refusal?attempt=${attempt}`);
    expect(lookup.status).toBe(200);
    expect(await lookup.json()).toMatchObject({ code: 'WSG_PATH_NOT_FOUND', status: 404 });
  });
});
