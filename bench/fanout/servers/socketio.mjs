import { once } from 'node:events';
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const TOPIC = 'fanout';

/**
 * socket.io 4 with rooms: the event "sub" joins the room (then "ok"), the event "p" emits its
 * argument to the room as "m" (`io.to(room).emit`). With FANOUT_REDIS_URL set the adapter is
 * `@socket.io/redis-adapter` on node-redis clients (every process given that Redis shares
 * rooms); otherwise socket.io's in-memory adapter. WebSocket transport only, no compression.
 */
export async function start({ host, port }) {
  const http = createServer();
  const io = new Server(http, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
  });
  const redisUrl = process.env.FANOUT_REDIS_URL;
  if (redisUrl !== undefined) {
    const { createClient } = await import('redis');
    const { createAdapter } = await import('@socket.io/redis-adapter');
    const publishing = createClient({ url: redisUrl });
    const subscribing = publishing.duplicate();
    await Promise.all([publishing.connect(), subscribing.connect()]);
    io.adapter(createAdapter(publishing, subscribing));
  }
  io.on('connection', (socket) => {
    socket.on('sub', () => {
      socket.join(TOPIC);
      socket.emit('ok');
    });
    socket.on('p', (data) => {
      io.to(TOPIC).emit('m', data);
    });
  });
  http.listen(port, host);
  await once(http, 'listening');
  return {
    port: http.address().port,
    connections: () => io.engine.clientsCount,
    info: { adapter: redisUrl === undefined ? 'in-memory (default)' : '@socket.io/redis-adapter' },
  };
}
