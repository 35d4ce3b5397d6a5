import { RefusalJournal } from '@wsgate/core';
import { frameworkAnswerFor, frameworkAnswerSuite, httpErrorFor } from '@wsgate/test-kit';
import { refusalLookup } from '../src/index.js';
import { echoRoute, matrix, startApp } from './helpers.js';

for (const { koa, routing, ...version } of matrix) {
  frameworkAnswerSuite(`${koa} with ${routing}`, async () => {
    // A journal of its own: lookups are rate-limited per address in each journal.
    const journal = new RefusalJournal();
    const { app, close, port } = await startApp({ koa, ...version }, routing, {
      options: { refusalJournal: journal },
      use: [
        refusalLookup(journal),
        // The middleware before the route produces the answer the request asks for.
        async (ctx, next) => {
          const row = frameworkAnswerFor(ctx.url);
          if (row === undefined) return next();
          if (row.via === 'error') throw httpErrorFor(row);
          ctx.status = row.status ?? 200;
          ctx.set(row.headers);
          ctx.body = 'answered by the app';
        },
      ],
      routes: { '/ws': echoRoute },
    });
    // Koa prints what it reports unless silenced; the rows raise server errors on purpose.
    app.silent = true;
    return { port, path: '/ws', close };
  });
}
