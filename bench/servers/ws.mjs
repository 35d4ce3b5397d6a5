import { once } from 'node:events';
import { WebSocketServer } from 'ws';

function ignoreError() {}

/**
 * ws 8's standalone server. Whether ws uses bufferutil is decided by ws itself when it loads:
 * the registry sets WS_NO_BUFFER_UTIL=1 for the plain column.
 */
export async function start({ host, port, mode }) {
  const server = new WebSocketServer({
    host,
    port,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
  });
  await once(server, 'listening');
  if (mode === 'broadcast') {
    server.on('connection', (socket) => {
      socket.on('error', ignoreError);
      socket.on('message', (data, isBinary) => {
        for (const client of server.clients) client.send(data, { binary: isBinary });
      });
    });
  } else {
    server.on('connection', (socket) => {
      socket.on('error', ignoreError);
      socket.on('message', (data, isBinary) => {
        socket.send(data, { binary: isBinary });
      });
    });
  }
  return {
    port: server.address().port,
    connections: () => server.clients.size,
    info: {
      perMessageDeflate: false,
      bufferutil: process.env.WS_NO_BUFFER_UTIL ? 'disabled (WS_NO_BUFFER_UTIL=1)' : 'if loadable',
    },
  };
}
