import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  demoBrowserSuite,
  demoContractSuite,
  demoHostileSuite,
  type RunningDemo,
  startDemo,
} from '@wsgate/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');

demoContractSuite('koa-demo', appDir);
demoBrowserSuite('koa-demo', appDir);
demoHostileSuite('koa-demo', appDir);

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
});
