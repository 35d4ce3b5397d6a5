// Compiled by `npm run typecheck`, never run: the public types work with the typings of
// Express 5 (@types/express 5) and of Express 4 (@types/express 4, installed as @types/express4).
import type { Server } from 'node:http';
import express from 'express';
import express4 from 'express4';
import { attachWebSockets, websocket } from '../src/index.js';

export function express5Usage(server: Server): void {
  const app = express();
  const rooms = express.Router();
  rooms.get(
    '/rooms/:id',
    (_req, _res, next) => next(),
    // With Express 5 typings the request type follows from the path.
    websocket((connection, req) => {
      const id: string = req.params.id;
      // @ts-expect-error: the path declares no :other parameter
      req.params.other;
      connection.send(`${id} ${String(req.query.name)}`);
    }),
  );
  app.use('/api', rooms);
  app.get(
    '/annotated',
    websocket((connection, req: express.Request) => connection.send(req.path)),
  );
  attachWebSockets(server, app, { origins: ['https://example.com'], perMessageDeflate: false });
}

export function express4Usage(server: Server): void {
  const app = express4();
  const rooms = express4.Router();
  rooms.get(
    '/rooms/:id',
    websocket((connection, req) => {
      // Express 4 typings do not infer through the route: params are a string record.
      const id: string | undefined = req.params.id;
      connection.send(`${id} ${req.baseUrl} ${req.originalUrl}`);
    }),
  );
  rooms.get(
    '/annotated/:id',
    websocket((connection, req: express4.Request<{ id: string }>) =>
      connection.send(req.params.id),
    ),
  );
  app.use('/api', rooms);
  // @ts-expect-error: the handler receives a connection, not a response
  const wrong = websocket((connection: express4.Response) => connection);
  app.get('/wrong', wrong);
  attachWebSockets(server, app, {
    maxMessageBytes: 1024,
    skipUpgrade: (req) => req.url === '/hmr',
  });
}
