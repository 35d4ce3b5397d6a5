import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  ChatRoom,
  demoPublicDir,
  echo,
  exitOnSignals,
  listeningMessage,
  readDemoConfig,
} from '@wsgate/demo-kit';
import { attachWebSockets, refusalLookup, websocket } from '@wsgate/express';
import express from 'express';

// The demo contract (shared/DEMO-CONTRACT.md) as an Express 5 app.
const config = readDemoConfig(3001);
const { version } = createRequire(import.meta.url)('express/package.json') as { version: string };

const app = express();
const room = new ChatRoom();

// The page's "what went wrong" panel asks here why a tagged attempt was refused.
app.use(refusalLookup());

app.get('/framework', (_req, res) => {
  res.type('text/plain').send(`Express ${version}`);
});

// permessage-deflate is on by default in @wsgate/core.
app.get('/echo', websocket(echo, { maxMessageBytes: config.maxPayloadBytes }));

app.get(
  '/chat',
  websocket(
    (connection) => {
      connection.on('message', (data) => {
        room.handle(connection, typeof data === 'string' ? data : data.toString('utf8'));
      });
      connection.on('close', () => room.leave(connection));
    },
    { maxMessageBytes: 64 * 1024 },
  ),
);

app.use(express.static(demoPublicDir(import.meta.url)));

const server = createServer(app);
const sockets = attachWebSockets(server, app, { origins: config.allowedOrigins });

server.once('error', (error) => {
  console.error(error);
  process.exit(1);
});
server.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  console.log(listeningMessage('express-demo', config.host, port));
});

exitOnSignals(async () => {
  await sockets.close({ timeoutMs: 3_000 });
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
});
