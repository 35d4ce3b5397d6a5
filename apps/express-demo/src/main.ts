import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CHAT_CONNECTION_LIMITS,
  CHAT_TOKEN_CHALLENGE,
  ChatRoom,
  chatTokenRefusal,
  closeDemoServer,
  createDemoServer,
  demoPublicDir,
  echo,
  exitForBackplane,
  exitOnSignals,
  LIVE_CONNECTION_OPTIONS,
  listeningMessage,
  live,
  openDemoBackplane,
  readDemoConfig,
  startDemoMetrics,
} from '@wsgate/demo-kit';
import { attachWebSockets, http2RequestListener, refusalLookup, websocket } from '@wsgate/express';
import express, { type RequestHandler } from 'express';

// The demo contract (shared/DEMO-CONTRACT.md) as an Express 5 app.
const config = readDemoConfig(3001);
const { version } = createRequire(import.meta.url)('express/package.json') as { version: string };

// REDIS_URL makes this instance one of a cluster (the chat room and /live topics span it).
const backplane = await openDemoBackplane().catch(exitForBackplane);

// OpenTelemetry metrics of every WebSocket, as Prometheus scrapes them (the page polls it too).
const metrics = startDemoMetrics();
const app = express();
const room = new ChatRoom();

// The page's "what went wrong" panel asks here why a tagged attempt was refused.
app.use(refusalLookup());

app.get('/metrics', (req, res) => metrics.handle(req, res));

app.get('/framework', (_req, res) => {
  res.type('text/plain').send(`Express ${version}`);
});

// permessage-deflate is on by default in @wsgate/core.
app.get('/echo', websocket(echo, { maxMessageBytes: config.maxPayloadBytes }));

/**
 * DEMO_TOKEN guards /chat at the handshake, as any Express middleware guards a route: without
 * `?token=` the error's 401 becomes WSG_AUTH_REQUIRED (with WWW-Authenticate), a wrong token's
 * 403 WSG_FORBIDDEN. `expose` lets the client see the message, as http-errors marks 4xx.
 */
const requireChatToken: RequestHandler = (req, res, next) => {
  const refusal = chatTokenRefusal(config.chatToken, req.query.token);
  if (refusal === undefined) {
    next();
    return;
  }
  if (refusal.status === 401) res.set('WWW-Authenticate', CHAT_TOKEN_CHALLENGE);
  next(Object.assign(new Error(refusal.message), { status: refusal.status, expose: true }));
};

app.get(
  '/chat',
  requireChatToken,
  websocket((connection) => {
    connection.on('message', (data) => {
      room.handle(connection, typeof data === 'string' ? data : data.toString('utf8'));
    });
    connection.on('close', () => void room.leave(connection));
  }, CHAT_CONNECTION_LIMITS),
);

// /live: topics over JSON (subscribe, unsubscribe, publish), formatted once per message.
app.get('/live', websocket(live, LIVE_CONNECTION_OPTIONS));

const page = express.static(demoPublicDir(import.meta.url));
// A WebSocket attempt on `/` is not a request for the page: it gets the precise 404.
app.use((req, res, next) => {
  if (req.headers.upgrade === undefined) page(req, res, next);
  else next();
});

// TLS=1: HTTP/2 and HTTP/1.1 on one port. Express takes HTTP/2 requests through
// http2RequestListener; WebSockets over HTTP/2 run through the same routes and middleware.
const server = createDemoServer(config.tls, http2RequestListener(app));
const sockets = attachWebSockets(server, app, { origins: config.allowedOrigins, backplane });

server.once('error', (error) => {
  console.error(error);
  process.exit(1);
});
server.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  console.log(listeningMessage('express-demo', config.host, port, config.tls !== undefined));
});

exitOnSignals(async () => {
  await sockets.close({ timeoutMs: 3_000 });
  await closeDemoServer(server);
});
