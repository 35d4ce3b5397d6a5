import { createRequire } from 'node:module';
import Router from '@koa/router';
import Koa from 'koa';
import { listenHttp, relay } from './http-listen.mjs';
import { importWsgate } from './wsgate-packages.mjs';

const require = createRequire(import.meta.url);
const { attachWebSocket } = await importWsgate('koa');

/** @wsgate/koa: one @koa/router route accepting with `await ctx.ws()`, on Koa 3. */
export async function start({ host, port, mode }) {
  const app = new Koa();
  const router = new Router();
  const clients = new Set();
  const onMessage = relay(mode, clients, (peer, data, isBinary) =>
    peer.send(data, { binary: isBinary }),
  );
  router.get('/', async (ctx) => {
    const connection = await ctx.ws();
    if (connection === undefined) return;
    clients.add(connection);
    connection.on('close', () => clients.delete(connection));
    connection.on('message', (data, isBinary) => onMessage(connection, data, isBinary));
  });
  app.use(router.routes());
  const http = await listenHttp(app.callback(), { host, port });
  attachWebSocket(app, http, {
    textAs: 'buffer',
    perMessageDeflate: false,
    maxConnections: 1_000_000,
    // Every connection of the load generator comes from 127.0.0.1.
    maxConnectionsPerAddress: 0,
    maxMessageBytes: 64 * 1024 * 1024,
  });
  return {
    port: http.address().port,
    connections: () => clients.size,
    info: { koa: require('koa/package.json').version, perMessageDeflate: false },
  };
}
