import { once } from 'node:events';
import { WebSocketServer } from 'ws';

/**
 * ws 8 with permessage-deflate on (its defaults: threshold 1 KiB, 10 zlib jobs at once), the
 * same routes: /chat sends each member's message to every member, other paths echo.
 */
export async function start({ host, port }) {
  const server = new WebSocketServer({
    host,
    port,
    perMessageDeflate: true,
    maxPayload: 16 * 1024 * 1024,
  });
  await once(server, 'listening');
  const members = new Set();
  server.on('connection', (socket, request) => {
    socket.on('error', () => {});
    if (request.url?.startsWith('/chat')) {
      members.add(socket);
      socket.on('close', () => members.delete(socket));
      socket.on('message', (data, isBinary) => {
        for (const member of members) member.send(data, { binary: isBinary });
      });
      return;
    }
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return { port: server.address().port, info: { perMessageDeflate: true } };
}
