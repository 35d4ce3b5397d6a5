import { once } from 'node:events';
import { WebSocketServer } from 'ws';

const SUBSCRIBE = Buffer.from('sub');

function ignoreError() {}

/**
 * ws 8 as its users fan out: "sub" adds the socket to a set (then "ok"), any other message is
 * sent to every socket of the set with `send`, which frames it once per socket.
 */
export async function start({ host, port }) {
  const server = new WebSocketServer({ host, port, perMessageDeflate: false });
  await once(server, 'listening');
  const subscribers = new Set();
  server.on('connection', (socket) => {
    socket.on('error', ignoreError);
    socket.on('close', () => subscribers.delete(socket));
    socket.on('message', (data, isBinary) => {
      if (!isBinary && data.equals(SUBSCRIBE)) {
        subscribers.add(socket);
        socket.send('ok');
        return;
      }
      for (const subscriber of subscribers) subscriber.send(data, { binary: false });
    });
  });
  return {
    port: server.address().port,
    connections: () => server.clients.size,
    info: { perMessageDeflate: false },
  };
}
