import { createServer } from 'node:net';

function ignoreError() {}

/**
 * The ceiling: a plain Node TCP server that writes every chunk back (echo) or to every socket
 * (broadcast), with no framing at all. No WebSocket server in Node can do less work per byte.
 */
export async function start({ host, port, mode }) {
  const sockets = new Set();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', ignoreError);
    socket.on('close', () => sockets.delete(socket));
    if (mode === 'broadcast') {
      socket.on('data', (chunk) => {
        for (const peer of sockets) peer.write(chunk);
      });
    } else {
      socket.on('data', (chunk) => socket.write(chunk));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return { port: server.address().port, connections: () => sockets.size, info: {} };
}
