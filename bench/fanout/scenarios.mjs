/**
 * What the topics benchmark compares. A scenario is one topology (how many server processes,
 * whether a redis-server joins them); each contender runs it in turn, on fresh processes.
 *
 * - file: the server, relative to servers/ (run by servers/launch.mjs in mode "fanout"); it
 *   exports `start({ host, port })` and reads FANOUT_REDIS_URL when the scenario has Redis.
 * - protocol: what the load generator (loadgen/fanout.c) speaks to it: "ws" (plain WebSocket
 *   messages) or "socketio" (Engine.IO 4 and socket.io packets over a WebSocket).
 * - packages: the wsgate packages it loads (their builds are copied when the run starts).
 */

const wsgate = {
  file: '../fanout/servers/wsgate.mjs',
  protocol: 'ws',
  packages: ['core', 'redis'],
};
const socketio = { file: '../fanout/servers/socketio.mjs', protocol: 'socketio' };

export const scenarios = [
  {
    id: 'one-node',
    label: 'one node: 1,000 subscribers, publisher on the same server',
    nodes: 1,
    redis: false,
    contenders: [
      { id: 'wsgate', label: 'wsgate `server.publish`', ...wsgate },
      {
        id: 'ws',
        label: 'ws 8, `send` to each subscriber',
        file: '../fanout/servers/ws.mjs',
        protocol: 'ws',
      },
      { id: 'socketio', label: 'socket.io 4, `io.to(room).emit`', ...socketio },
    ],
  },
  {
    id: 'two-nodes',
    label: 'two nodes over one redis-server: 500 subscribers on each, publisher on node A',
    nodes: 2,
    redis: true,
    contenders: [
      { id: 'wsgate-redis', label: 'wsgate + `@wsgate/redis`', ...wsgate },
      { id: 'socketio-redis', label: 'socket.io 4 + `@socket.io/redis-adapter`', ...socketio },
    ],
  },
];

/** The goals of issue 16: wsgate's delivered messages per second over socket.io's. */
export const targets = [
  {
    scenario: 'one-node',
    subject: 'wsgate',
    against: 'socketio',
    factor: 2,
    text: 'one node: wsgate ≥ 2× socket.io, delivered msg/s',
  },
  {
    scenario: 'two-nodes',
    subject: 'wsgate-redis',
    against: 'socketio-redis',
    factor: 2,
    text: 'two nodes: wsgate + Redis ≥ 2× socket.io + Redis, delivered msg/s',
  },
];
