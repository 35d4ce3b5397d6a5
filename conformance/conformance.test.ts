import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allCases,
  CATEGORIES,
  type CaseResult,
  type Category,
  type EchoServer,
  runConformance,
  startWsgateEcho,
  writeReport,
} from './index.js';

// The whole suite against an in-process wsgate echo server (createServer, textAs: 'buffer',
// permessage-deflate on, 16 MiB limit), one test per Autobahn category. Every case must be OK:
// NON-STRICT counts as a failure here. A failing test lists the case ids and their reasons.

describe('conformance suite against the in-process wsgate echo server', () => {
  let server: EchoServer;
  const results: CaseResult[] = [];
  const started = Date.now();

  beforeAll(async () => {
    server = await startWsgateEcho();
  });

  afterAll(async () => {
    await server?.close();
    if (results.length > 0) {
      writeReport({
        target: 'wsgate-core',
        url: server.url,
        startedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        maxMessageBytes: 16 * 1024 * 1024,
        results,
      });
    }
  });

  it('case ids are unique and every Autobahn category has cases', () => {
    const cases = allCases();
    const ids = cases.map((c) => c.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    for (const category of Object.keys(CATEGORIES)) {
      expect(
        cases.some((c) => c.category === category),
        `category ${category}`,
      ).toBe(true);
    }
    expect(cases.length).toBeGreaterThan(500);
  });

  for (const [category, name] of Object.entries(CATEGORIES) as [Category, string][]) {
    it(`${category}.x ${name}: every case is OK`, async () => {
      const report = await runConformance(server.url, { include: [category] });
      results.push(...report.results);
      const notOk = report.results.filter((r) => r.verdict !== 'OK');
      expect(
        notOk.map((r) => `${r.id} ${r.verdict}: ${r.reason}`),
        `cases not OK in ${category}.x: ${notOk.map((r) => r.id).join(', ')}`,
      ).toEqual([]);
    });
  }
});
