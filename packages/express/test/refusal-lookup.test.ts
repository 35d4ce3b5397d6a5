import { RefusalJournal } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import { refusalLookup } from '../src/index.js';
import { flavours, serve } from './helpers.js';

describe.each(flavours)('$name: reasons a browser page can read', ({ express }) => {
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
