import { createRequire } from 'node:module';
import { ignoreError, listenHttp, relay } from './http-listen.mjs';

const require = createRequire(import.meta.url);
const express = require('express4');
const expressWs = require('express-ws');

/**
 * express-ws 5, the peer of @wsgate/express: `app.ws('/')` on an Express 4 app. It depends on
 * ws 7, which takes bufferutil whenever it resolves (ws 7 has no WS_NO_BUFFER_UTIL).
 */
export async function start({ host, port, mode }) {
  const app = express();
  const http = await listenHttp(app, { host, port });
  const instance = expressWs(app, http, {
    wsOptions: { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 },
  });
  const clients = instance.getWss().clients;
  // ws 7 delivers text as a string and binary as a Buffer: send() keeps the type.
  const onMessage = relay(mode, clients, (peer, data) => peer.send(data));
  app.ws('/', (socket) => {
    socket.on('error', ignoreError);
    socket.on('message', (data) => onMessage(socket, data));
  });
  const wsRequire = createRequire(require.resolve('express-ws'));
  return {
    port: http.address().port,
    connections: () => clients.size,
    info: {
      express: require('express4/package.json').version,
      ws: wsRequire('ws/package.json').version,
      bufferutil: bufferutilLoaded(wsRequire.resolve('ws')),
      perMessageDeflate: false,
    },
  };
}

/** Whether the native bufferutil resolves from a ws installation (what that ws will use). */
export function bufferutilLoaded(wsEntry) {
  try {
    const fromWs = createRequire(wsEntry);
    return fromWs('bufferutil').mask !== fromWs('bufferutil/fallback').mask;
  } catch {
    return false;
  }
}
