import { RefusalJournal } from '@wsgate/core';
import { rawRequest } from '@wsgate/test-kit';
import { describe, expect, it } from 'vitest';
import { refusalLookup, websocket } from '../src/index.js';
import { flavours, serve } from './helpers.js';

describe.each(flavours)('$name: reasons a browser page can read', ({ express }) => {
  it('records why each tagged attempt was refused and answers the lookup through the app', async () => {
    const journal = new RefusalJournal();
    const app = express();
    app.use(refusalLookup(journal));
    app.get(
      '/private',
      (_req, res) => {
        res.status(401).set('WWW-Authenticate', 'Bearer').send('log in first');
      },
      websocket(() => {}),
    );
    app.get(
      '/members',
      (_req, _res, next) => next(Object.assign(new Error('members only'), { status: 403 })),
      websocket(() => {}),
    );
    app.get(
      '/echo',
      websocket(() => {}),
    );
    const { port, http } = await serve(app, {
      refusalJournal: journal,
      origins: ['http://allowed.example'],
    });
    const attempts = [
      ['/private', {}, 'WSG_AUTH_REQUIRED', 401],
      ['/members', {}, 'WSG_FORBIDDEN', 403],
      ['/nowhere', {}, 'WSG_PATH_NOT_FOUND', 404],
      ['/echo', { Origin: 'http://evil.example' }, 'WSG_ORIGIN_REFUSED', 403],
    ] as const;
    for (const [index, [path, headers, code, status]] of attempts.entries()) {
      const id = `attempt-${String(index).padStart(12, '0')}`;
      const refused = await rawRequest(port, { path: `${path}?wsgate_attempt=${id}`, headers });
      expect(refused.status).toBe(status);
      const lookup = await fetch(`${http}/.well-known/wsgate/refusal?attempt=${id}`);
      expect(lookup.status).toBe(200);
      expect(await lookup.json()).toMatchObject({ code, status });
    }
    const unknown = await fetch(`${http}/.well-known/wsgate/refusal?attempt=attempt-999999999999`);
    expect(unknown.status).toBe(404);
    expect(journal.size).toBe(attempts.length);
  });

  it("counts lookups by req.ip: the TCP peer, or the proxy's X-Forwarded-For under trust proxy", async () => {
    const statuses = async (trustProxy: boolean): Promise<number[]> => {
      const app = express();
      app.set('trust proxy', trustProxy);
      app.use(refusalLookup(new RefusalJournal({ lookupsPerMinute: 1 })));
      const { http } = await serve(app);
      const answers: number[] = [];
      for (const client of ['203.0.113.1', '203.0.113.2']) {
        const response = await fetch(
          `${http}/.well-known/wsgate/refusal?attempt=attempt-000000000077`,
          { headers: { 'X-Forwarded-For': client } },
        );
        answers.push(response.status);
      }
      return answers;
    };
    expect(await statuses(false)).toEqual([404, 429]);
    expect(await statuses(true)).toEqual([404, 404]);
  });
});
