import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../demo-app.js';
import { rawRequest } from '../raw-http.js';
import { chatEvents, open } from './clients.js';

/** DEMO_TOKEN guards /chat at the handshake (401 without a token, 403 with a wrong one), not /echo. */
export function describeDemoToken(name: string, appDir: string): void {
  describe(`${name} with DEMO_TOKEN`, () => {
    let demo: RunningDemo;
    beforeAll(async () => {
      demo = await startDemo(appDir, { DEMO_TOKEN: 's3cret' });
    });
    afterAll(async () => {
      await demo?.stop();
    });

    it('refuses /chat without a token at the handshake with 401 WSG_AUTH_REQUIRED and WWW-Authenticate', async () => {
      const response = await rawRequest(demo.port, { path: '/chat', timeoutMs: 5_000 });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="chat"');
      expect(response.headers['x-wsgate-error']).toBe('WSG_AUTH_REQUIRED');
      expect(response.body).toContain('the chat needs ?token= (DEMO_TOKEN is set)');
      expect(response.closedByServer).toBe(true);
    });

    it('refuses /chat with a wrong token with 403 WSG_FORBIDDEN', async () => {
      for (const token of ['guess', 's3cre', 's3cret-and-more']) {
        const response = await rawRequest(demo.port, {
          path: `/chat?token=${token}`,
          timeoutMs: 5_000,
        });
        expect(response.status).toBe(403);
        expect(response.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
        expect(response.closedByServer).toBe(true);
      }
    });

    it('accepts the right token on /chat, and leaves /echo open', async () => {
      const chat = await open(`ws://127.0.0.1:${demo.port}/chat?token=s3cret`);
      const welcome = chatEvents(chat, (events) => events.some((e) => e.event === 'welcome'));
      chat.send(JSON.stringify({ event: 'join', data: { name: 'Ada' } }));
      await welcome;
      chat.close(1000);
      const echo = await open(`ws://127.0.0.1:${demo.port}/echo`);
      echo.close(1000);
    });
  });
}
