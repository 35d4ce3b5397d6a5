import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RefusalJournal } from '@wsgate/core';
import {
  closeHttpServer,
  frameworkAnswerFor,
  frameworkAnswerSuite,
  httpErrorFor,
} from '@wsgate/test-kit';
import { attachWebSockets, refusalLookup, websocket } from '../src/index.js';
import { flavours } from './helpers.js';

for (const flavour of flavours) {
  frameworkAnswerSuite(flavour.name, async () => {
    // A journal of its own: lookups are rate-limited per address in each journal.
    const journal = new RefusalJournal();
    const app = flavour.express();
    app.use(refusalLookup(journal));
    // The middleware before the route produces the answer the request asks for.
    app.use((request, response, next) => {
      const row = frameworkAnswerFor(request.url);
      if (row === undefined) return next();
      if (row.via === 'error') return next(httpErrorFor(row));
      response
        .status(row.status ?? 200)
        .set(row.headers)
        .send('answered by the app');
    });
    app.get(
      '/ws',
      websocket((connection) => connection.close()),
    );
    const server = createServer(app);
    const sockets = attachWebSockets(server, app, { refusalJournal: journal });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as AddressInfo).port,
      path: '/ws',
      close: async () => {
        await sockets.close({ timeoutMs: 100 });
        await closeHttpServer(server);
      },
    };
  });
}
