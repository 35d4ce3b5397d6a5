import { describe, expect, it } from 'vitest';
import { startDemo } from '../demo-app.js';
import { closed, open } from './clients.js';

/** SIGTERM closes every WebSocket with 1001 and the process exits. */
export function describeDemoShutdown(name: string, appDir: string): void {
  describe(`${name} on SIGTERM`, () => {
    it('closes every WebSocket (on /chat and /echo) with 1001 and exits within 5 s', async () => {
      const demo = await startDemo(appDir);
      const base = `ws://127.0.0.1:${demo.port}`;
      const sockets = await Promise.all([
        open(`${base}/chat`),
        open(`${base}/chat`),
        open(`${base}/echo`),
      ]);
      const closes = sockets.map((socket) => closed(socket));
      const started = Date.now();
      const exitCode = await demo.stop();
      for (const done of await Promise.all(closes)) {
        expect(done).toMatchObject({
          code: 1001,
          reason: expect.stringMatching(/^WSG_SERVER_SHUTDOWN/),
        });
      }
      expect(exitCode).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
}
