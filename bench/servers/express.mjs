import { createRequire } from 'node:module';
import { listenHttp, relay } from './http-listen.mjs';
import { importWsgate } from './wsgate-packages.mjs';

const require = createRequire(import.meta.url);
// Express 4 on both sides: express-ws, the peer, does not support Express 5's router.
const express = require('express4');
const { attachWebSockets, websocket } = await importWsgate('express');

/**
 * @wsgate/express: one `websocket()` route on an Express 4 app, upgrades routed through the app
 * by `attachWebSockets`; options as the standalone server's (text as Buffers, no compression).
 */
export async function start({ host, port, mode }) {
  const app = express();
  const clients = new Set();
  const onMessage = relay(mode, clients, (peer, data, isBinary) =>
    peer.send(data, { binary: isBinary }),
  );
  app.get(
    '/',
    websocket((connection) => {
      clients.add(connection);
      connection.on('close', () => clients.delete(connection));
      connection.on('message', (data, isBinary) => onMessage(connection, data, isBinary));
    }),
  );
  const http = await listenHttp(app, { host, port });
  attachWebSockets(http, app, {
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
    info: { express: require('express4/package.json').version, perMessageDeflate: false },
  };
}
