import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describeAdapterOverHttp2, frameworkAnswerFor, httpErrorFor } from '@wsgate/test-kit';
import { attachWebSockets, http2RequestListener, refusalLookup, websocket } from '../src/index.js';
import { flavours } from './helpers.js';

for (const flavour of flavours) {
  describeAdapterOverHttp2(flavour.name, async ({ tls, ...options }) => {
    const app = flavour.express();
    app.use(refusalLookup(options.refusalJournal));
    // The handshake middleware: the answer the request asks for.
    app.use((request, _response, next) => {
      const row = frameworkAnswerFor(request.url);
      if (row === undefined) return next();
      next(httpErrorFor(row));
    });
    app.get(
      '/echo',
      websocket((connection) => {
        connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
      }),
    );
    app.get('/hello', (_request, response) => {
      response.send('hello');
    });
    const server = http2.createSecureServer(
      { ...tls, allowHTTP1: true },
      http2RequestListener(app),
    );
    const sockets = attachWebSockets(server, app, options);
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `https://127.0.0.1:${port}`,
      closeWebSockets: () => sockets.close(),
      stop: async () => {
        await sockets.close({ timeoutMs: 100 });
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const session of sessions) session.destroy();
        await closed;
      },
    };
  });
}
