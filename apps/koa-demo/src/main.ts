import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import {
  CHAT_CONNECTION_LIMITS,
  CHAT_TOKEN_CHALLENGE,
  ChatRoom,
  chatTokenRefusal,
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
import { attachWebSocket, type KoaRouteOptions, refusalLookup } from '@wsgate/koa';
import Koa, { type Middleware } from 'koa';
import koaPackage from 'koa/package.json' with { type: 'json' };
import { staticPage } from './static-page.js';

const config = readDemoConfig(3002);
// REDIS_URL makes this instance one of a cluster (the chat room and /live topics span it).
const backplane = await openDemoBackplane().catch(exitForBackplane);
// OpenTelemetry metrics of every WebSocket, as Prometheus scrapes them (the page polls it too).
const metrics = startDemoMetrics();
const app = new Koa();
const router = new Router();
const room = new ChatRoom();
const echoOptions: KoaRouteOptions = {
  perMessageDeflate: true,
  maxMessageBytes: config.maxPayloadBytes,
};

router.get('/metrics', (ctx) => {
  ctx.respond = false;
  metrics.handle(ctx.req, ctx.res);
});
router.get('/framework', (ctx) => {
  ctx.body = `Koa ${koaPackage.version}`;
});
router.get('/echo', async (ctx) => {
  const ws = await ctx.ws(echoOptions);
  if (ws !== undefined) echo(ws);
});
/**
 * DEMO_TOKEN guards /chat before ctx.ws(), as any Koa middleware guards a route: without
 * `?token=` ctx.throw(401) becomes WSG_AUTH_REQUIRED (with WWW-Authenticate), a wrong token's
 * 403 WSG_FORBIDDEN.
 */
const requireChatToken: Middleware = async (ctx, next) => {
  const refusal = chatTokenRefusal(config.chatToken, ctx.query.token);
  if (refusal?.status === 401)
    ctx.throw(401, refusal.message, { headers: { 'WWW-Authenticate': CHAT_TOKEN_CHALLENGE } });
  if (refusal !== undefined) ctx.throw(refusal.status, refusal.message);
  await next();
};

router.get('/chat', requireChatToken, async (ctx) => {
  const ws = await ctx.ws(CHAT_CONNECTION_LIMITS);
  if (ws === undefined) return;
  ws.on('message', (data) => room.handle(ws, data.toString()));
  ws.on('close', () => void room.leave(ws));
});

// /live: topics over JSON (subscribe, unsubscribe, publish), formatted once per message.
router.get('/live', async (ctx) => {
  const ws = await ctx.ws(LIVE_CONNECTION_OPTIONS);
  if (ws !== undefined) live(ws);
});

app.use(refusalLookup());
app.use(staticPage(demoPublicDir(import.meta.url)));
app.use(router.routes());
app.use(router.allowedMethods());

// TLS=1: HTTP/2 and HTTP/1.1 on one port; Koa runs on Node's HTTP/2 compatibility API as it is.
const server = createDemoServer(config.tls, app.callback());
server.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  console.log(listeningMessage('koa-demo', config.host, port, config.tls !== undefined));
});
const wsgate = attachWebSocket(app, server, { origins: config.allowedOrigins, backplane });
exitOnSignals(() => wsgate.close());
