import {
  describeAdapter,
  frameworkAnswerFor,
  httpErrorFor,
  stallRequested,
} from '@wsgate/test-kit';
import { refusalLookup } from '../src/index.js';
import { echoRoute, matrix, startApp } from './helpers.js';

for (const { koa, routing, ...version } of matrix) {
  describeAdapter(
    `${koa} with ${routing}`,
    async (options) => {
      const { app, close, port, wsgate } = await startApp({ koa, ...version }, routing, {
        options,
        use: [
          refusalLookup(options.refusalJournal),
          // The handshake middleware: the answer the request asks for, or none ever.
          async (ctx, next) => {
            if (stallRequested(ctx.url)) return new Promise<void>(() => {});
            const row = frameworkAnswerFor(ctx.url);
            if (row === undefined) return next();
            if (row.via === 'error') throw httpErrorFor(row);
            ctx.status = row.status ?? 200;
            ctx.set(row.headers);
            ctx.body = 'answered by the app';
          },
        ],
        routes: {
          '/echo': echoRoute,
          '/hello': (ctx) => {
            ctx.body = 'hello';
          },
        },
      });
      // Koa prints what it reports unless silenced; the rows raise server errors on purpose.
      app.silent = true;
      return {
        url: `http://127.0.0.1:${port}`,
        closeWebSockets: () => wsgate.close(),
        stop: close,
      };
    },
    { answersVia: ['error', 'response'], afterShutdown: 'refuses with 503' },
  );
}
