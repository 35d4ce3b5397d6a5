import type { Server } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { describeAdapterOverHttp2, frameworkAnswerFor, httpErrorFor } from '@wsgate/test-kit';
import { refusalLookup } from '../src/index.js';
import { echoRoute, koaVersions } from './helpers.js';

for (const version of koaVersions) {
  describeAdapterOverHttp2(`${version.koa} with @koa/router`, async ({ tls, ...options }) => {
    const { app, attach } = version.create();
    // Koa prints what it reports unless silenced; the rows raise client errors on purpose.
    app.silent = true;
    app.use(refusalLookup(options.refusalJournal));
    // The handshake middleware: the answer the request asks for.
    app.use(async (ctx, next) => {
      const row = frameworkAnswerFor(ctx.url);
      if (row !== undefined) throw httpErrorFor(row);
      await next();
    });
    const router = new Router();
    router.get('/echo', echoRoute);
    router.get('/hello', (ctx) => {
      ctx.body = 'hello';
    });
    app.use(router.routes());
    app.use(router.allowedMethods());
    // Koa runs on Node's HTTP/2 compatibility API as it is.
    const server = http2.createSecureServer({ ...tls, allowHTTP1: true }, app.callback());
    const wsgate = attach(server as unknown as Server, options);
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `https://127.0.0.1:${port}`,
      closeWebSockets: () => wsgate.close(),
      stop: async () => {
        await wsgate.close({ timeoutMs: 100 });
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const session of sessions) session.destroy();
        await closed;
      },
    };
  });
}
