import { createRequire } from 'node:module';
import Router from '@koa/router';
import Koa from 'koa';
import { bufferutilLoaded } from './express-ws.mjs';
import { ignoreError, listenHttp, relay } from './http-listen.mjs';

const require = createRequire(import.meta.url);
const websocket = require('koa-easy-ws');

/** koa-easy-ws 2, the peer of @wsgate/koa: the same route, accepting with `await ctx.ws()`. */
export async function start({ host, port, mode }) {
  const app = new Koa();
  const router = new Router();
  const middleware = websocket('ws', {
    wsOptions: { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 },
  });
  const clients = middleware.server.clients;
  const onMessage = relay(mode, clients, (peer, data, isBinary) =>
    peer.send(data, { binary: isBinary }),
  );
  app.use(middleware);
  router.get('/', async (ctx) => {
    if (ctx.ws === undefined) {
      ctx.status = 426;
      return;
    }
    const socket = await ctx.ws();
    socket.on('error', ignoreError);
    socket.on('message', (data, isBinary) => onMessage(socket, data, isBinary));
  });
  app.use(router.routes());
  const http = await listenHttp(app.callback(), { host, port });
  const wsEntry = createRequire(require.resolve('koa-easy-ws')).resolve('ws');
  return {
    port: http.address().port,
    connections: () => clients.size,
    info: {
      koa: require('koa/package.json').version,
      ws: createRequire(wsEntry)('./package.json').version,
      bufferutil: process.env.WS_NO_BUFFER_UTIL ? false : bufferutilLoaded(wsEntry),
      perMessageDeflate: false,
    },
  };
}
