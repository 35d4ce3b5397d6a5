import { createServer } from '@wsgate/core';
import { openWs, rawRequest, upgradeHeaders, waitFor, wsClosed } from '@wsgate/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemoMetrics } from '../src/metrics.js';

const metrics = startDemoMetrics();
afterAll(() => metrics.shutdown());

describe('the demo metrics exposition', () => {
  it('shows wsgate_ metrics only, a refusal and a close with a code label, and the open connections', async () => {
    const server = await createServer({ port: 0 });
    try {
      const port = server.address()?.port ?? 0;
      const refused = await rawRequest(port, {
        headers: { ...upgradeHeaders(port), 'Sec-WebSocket-Version': '8' },
      });
      expect(refused.status).toBe(426);
      const client = await openWs(`ws://127.0.0.1:${port}`);
      await waitFor(() => server.clients.size === 1, { what: 'the connection' });
      const open = await metrics.scrape();
      expect(open).toMatch(/^wsgate_server_active_connections\{?[^\n]*\}? 1$/m);
      const connection = [...server.clients][0];
      connection?.fail('WSG_INTERNAL_ERROR', 'closed by the test');
      await wsClosed(client);
      await waitFor(() => server.clients.size === 0, { what: 'the close' });
      const text = await metrics.scrape();
      const names = text
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0]);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(name).toMatch(/^wsgate_/);
      expect(text).toMatch(
        /^wsgate_server_handshakes_total\{[^}]*code="WSG_VERSION_UNSUPPORTED"[^}]*\} 1$/m,
      );
      expect(text).toMatch(
        /^wsgate_server_handshakes_total\{[^}]*wsgate_outcome="accepted"[^}]*\} 1$/m,
      );
      expect(text).toMatch(
        /^wsgate_server_closes_total\{[^}]*code="WSG_INTERNAL_ERROR"[^}]*\} 1$/m,
      );
      expect(text).toMatch(/^wsgate_server_active_connections\{?[^\n]*\}? 0$/m);
      expect(text).not.toContain('wsgate_code');
    } finally {
      await server.close();
    }
  });
});
