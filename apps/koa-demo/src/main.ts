import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import {
  ChatRoom,
  demoPublicDir,
  echo,
  exitOnSignals,
  listeningMessage,
  readDemoConfig,
} from '@wsgate/demo-kit';
import { attachWebSocket, type KoaRouteOptions, refusalLookup } from '@wsgate/koa';
import Koa from 'koa';
import koaPackage from 'koa/package.json' with { type: 'json' };
import { staticPage } from './static-page.js';

const config = readDemoConfig(3002);
const app = new Koa();
const router = new Router();
const room = new ChatRoom();
const echoOptions: KoaRouteOptions = {
  perMessageDeflate: true,
  maxMessageBytes: config.maxPayloadBytes,
};

router.get('/framework', (ctx) => {
  ctx.body = `Koa ${koaPackage.version}`;
});
router.get('/echo', async (ctx) => {
  const ws = await ctx.ws(echoOptions);
  if (ws !== undefined) echo(ws);
});
router.get('/chat', async (ctx) => {
  const ws = await ctx.ws();
  if (ws === undefined) return;
  ws.on('message', (data) => room.handle(ws, data.toString()));
  ws.on('close', () => room.leave(ws));
});

app.use(refusalLookup());
app.use(staticPage(demoPublicDir(import.meta.url)));
app.use(router.routes());
app.use(router.allowedMethods());

const server = app.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  console.log(listeningMessage('koa-demo', config.host, port));
});
const wsgate = attachWebSocket(app, server, { origins: config.allowedOrigins });
exitOnSignals(() => wsgate.close());
