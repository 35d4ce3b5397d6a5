import { type RunningDemo, startDemo } from '@wsgate/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformance } from './runner.js';
import { CATEGORIES, type Category } from './types.js';

/**
 * The whole conformance suite against a built demo app's /echo, started as a user starts it
 * (the contract's default MAX_PAYLOAD of 16 MiB): one test per category, every case OK.
 */
export function demoConformanceSuite(name: string, appDir: string): void {
  describe(`${name} /echo passes the conformance suite`, () => {
    let demo: RunningDemo;
    beforeAll(async () => {
      demo = await startDemo(appDir);
    });
    afterAll(async () => {
      await demo?.stop();
    });

    for (const [category, title] of Object.entries(CATEGORIES) as [Category, string][]) {
      it(`${category}.x ${title}: every case is OK`, async () => {
        const report = await runConformance(`ws://127.0.0.1:${demo.port}/echo`, {
          include: [category],
          target: name,
        });
        const notOk = report.results.filter((result) => result.verdict !== 'OK');
        expect(
          notOk.map((result) => `${result.id} ${result.verdict}: ${result.reason}`),
          `cases not OK in ${category}.x`,
        ).toEqual([]);
      }, 120_000);
    }
  });
}
