import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { catalogue, errorCodes } from '../../src/errors/catalogue.js';
import { renderErrorDocs } from '../../src/errors/docs.js';

const docsPath = new URL('../../../../docs/errors.md', import.meta.url);

describe('docs/errors.md, generated from the catalogue', () => {
  test('the committed docs/errors.md is what renderErrorDocs() writes (if not: run `npm run docs:errors`)', () => {
    const committed = readFileSync(docsPath, 'utf8');
    expect(committed, 'docs/errors.md is stale: run `npm run docs:errors`').toBe(renderErrorDocs());
  });

  const docs = renderErrorDocs();

  test('every code has one section and one table row linking to it', () => {
    for (const code of errorCodes) {
      expect(docs.split(`\n### ${code}\n`), code).toHaveLength(2);
      expect(docs).toContain(`| [\`${code}\`](#${code.toLowerCase()}) |`);
    }
  });

  test("sections come in the order handshake, protocol, lifecycle, client, server, topic, and each code sits in its kind's section", () => {
    const headings = [
      '## Handshake refusals',
      '## Protocol violations after the upgrade',
      '## How connections end',
      '## Client connection failures',
      '## Server start failures',
      '## Topics and backplanes',
    ];
    const positions = headings.map((heading) => docs.indexOf(heading));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    const kinds = ['handshake', 'protocol', 'lifecycle', 'client', 'server', 'topic'] as const;
    for (const code of errorCodes) {
      const at = docs.indexOf(`\n### ${code}\n`);
      const section = kinds.indexOf(catalogue[code].kind);
      expect(at, code).toBeGreaterThan(positions[section] ?? Number.POSITIVE_INFINITY);
      expect(at, code).toBeLessThan(positions[section + 1] ?? Number.POSITIVE_INFINITY);
    }
  });

  test('each entry shows its answer: status and required headers, close code, or client error', () => {
    expect(docs).toContain(
      '**Unsupported WebSocket version** — 426 Upgrade Required + `Upgrade: websocket`, `Sec-WebSocket-Version: 13`',
    );
    expect(docs).toContain('— 405 Method Not Allowed + `Allow: GET`');
    expect(docs).toContain(`**${catalogue.WSG_FRAME_UNMASKED.title}** — close 1002`);
    expect(docs).toContain(`**${catalogue.WSG_DNS_FAILED.title}** — client error`);
  });

  test('each entry has its cause and fix', () => {
    for (const code of errorCodes) {
      expect(docs).toContain(`- Cause: ${catalogue[code].cause}\n- Fix: ${catalogue[code].fix}\n`);
    }
  });

  test('each entry says what wsgate doctor checks, then the fix on each common setup', () => {
    for (const code of errorCodes) {
      const entry = catalogue[code];
      const setups = Object.entries(entry.setups ?? {})
        .map(([setup, fix]) => `  - **${setup}**: ${fix}\n`)
        .join('');
      expect(docs, code).toContain(
        `- Fix: ${entry.fix}\n- What \`wsgate doctor\` checks: ${entry.doctor}\n- Fix on common setups:\n${setups}`,
      );
    }
    expect(docs).toContain(
      '  - **nginx**: In the location that proxies the WebSocket path: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";',
    );
  });

  test('the page says it is generated and ends with exactly one newline', () => {
    expect(docs.startsWith('# wsgate error codes\n')).toBe(true);
    expect(docs).toContain('npm run docs:errors');
    expect(docs.endsWith('\n')).toBe(true);
    expect(docs.endsWith('\n\n')).toBe(false);
  });
});
