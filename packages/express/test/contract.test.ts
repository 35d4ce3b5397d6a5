import { createServer } from 'node:http';
import {
  closeHttpServer,
  describeAdapter,
  frameworkAnswerFor,
  httpErrorFor,
  listenOnLoopback,
  stallRequested,
} from '@wsgate/test-kit';
import { attachWebSockets, refusalLookup, websocket } from '../src/index.js';
import { flavours } from './helpers.js';

for (const flavour of flavours) {
  describeAdapter(
    flavour.name,
    async (options) => {
      const app = flavour.express();
      app.use(refusalLookup(options.refusalJournal));
      // The handshake middleware: the answer the request asks for, or none ever.
      app.use((request, response, next) => {
        if (stallRequested(request.url)) return;
        const row = frameworkAnswerFor(request.url);
        if (row === undefined) return next();
        if (row.via === 'error') return next(httpErrorFor(row));
        response
          .status(row.status ?? 200)
          .set(row.headers)
          .send('answered by the app');
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
      const server = createServer(app);
      const sockets = attachWebSockets(server, app, options);
      const port = await listenOnLoopback(server);
      return {
        url: `http://127.0.0.1:${port}`,
        closeWebSockets: () => sockets.close(),
        stop: async () => {
          await sockets.close({ timeoutMs: 100 });
          await closeHttpServer(server);
        },
      };
    },
    { answersVia: ['error', 'response'], afterShutdown: 'refuses with 503' },
  );
}
