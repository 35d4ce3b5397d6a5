import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../demo-app.js';
import { rawRequest } from '../raw-http.js';
import { open } from './clients.js';

/** ALLOWED_ORIGINS: another Origin is refused on /echo and /chat, a listed one or none accepted. */
export function describeAllowedOrigins(name: string, appDir: string): void {
  describe(`${name} with ALLOWED_ORIGINS`, () => {
    let demo: RunningDemo;
    beforeAll(async () => {
      demo = await startDemo(appDir, {
        ALLOWED_ORIGINS: 'http://allowed.example, http://also.example',
      });
    });
    afterAll(async () => {
      await demo?.stop();
    });

    it('refuses another Origin with 403 WSG_ORIGIN_REFUSED on /echo and /chat', async () => {
      for (const path of ['/echo', '/chat']) {
        const response = await rawRequest(demo.port, {
          path,
          headers: { Origin: 'http://evil.example' },
        });
        expect(response.status).toBe(403);
        expect(response.headers['x-wsgate-error']).toBe('WSG_ORIGIN_REFUSED');
        expect(response.body).toContain('http://evil.example');
        expect(response.closedByServer).toBe(true);
      }
    });

    it('accepts an allowed Origin and a handshake without Origin', async () => {
      for (const path of ['/echo', '/chat']) {
        const allowed = await open(`ws://127.0.0.1:${demo.port}${path}`, {
          origin: 'http://also.example',
        });
        allowed.close();
        const noOrigin = await open(`ws://127.0.0.1:${demo.port}${path}`);
        noOrigin.close();
      }
      const raw = await rawRequest(demo.port, { path: '/echo', timeoutMs: 1_000, headers: {} });
      expect(raw.status).toBe(101);
    });
  });
}
