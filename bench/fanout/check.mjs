/**
 * Before a contender is measured, the clients its users would use check it: one subscriber on
 * every node (the `ws` client, or `socket.io-client`), one message published from the first
 * node, and every subscriber must receive it unchanged within `timeoutMs`. This also checks the
 * load generator's reading of each protocol against the real clients'.
 */
import { once } from 'node:events';
import { io } from 'socket.io-client';
import WebSocket from 'ws';

function deadline(ms, what) {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`check: ${what} within ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

async function wsClients(ports, payload) {
  const open = async (port) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    await once(socket, 'open');
    return socket;
  };
  const subscribers = await Promise.all(ports.map(open));
  const received = subscribers.map((socket) => {
    const messages = [];
    socket.on('message', (data) => messages.push(data.toString()));
    return messages;
  });
  for (const socket of subscribers) socket.send('sub');
  const publisher = await open(ports[0]);
  const clients = [...subscribers, publisher];
  return {
    subscribed: () => received.every((messages) => messages[0] === 'ok'),
    publish: () => publisher.send(payload),
    delivered: () => received.every((messages) => messages[1] === payload),
    close: () => {
      for (const client of clients) client.terminate();
    },
  };
}

async function socketioClients(ports, payload) {
  const open = async (port) => {
    const socket = io(`http://127.0.0.1:${port}`, {
      transports: ['websocket'],
      reconnection: false,
    });
    await once(socket, 'connect');
    return socket;
  };
  const subscribers = await Promise.all(ports.map(open));
  const received = subscribers.map((socket) => {
    const messages = [];
    socket.on('ok', () => messages.push('ok'));
    socket.on('m', (data) => messages.push(data));
    return messages;
  });
  for (const socket of subscribers) socket.emit('sub');
  const publisher = await open(ports[0]);
  const clients = [...subscribers, publisher];
  return {
    subscribed: () => received.every((messages) => messages[0] === 'ok'),
    publish: () => publisher.emit('p', payload),
    delivered: () => received.every((messages) => messages[1] === payload),
    close: () => {
      for (const client of clients) client.disconnect();
    },
  };
}

/** Polls `condition` every 10 ms until it holds; the caller's deadline bounds it. */
async function until(condition, stop) {
  while (!condition() && !stop()) await new Promise((resolve) => setTimeout(resolve, 10));
}

export async function checkDelivery(protocol, ports, timeoutMs = 10_000) {
  const payload = `check-${Date.now().toString(16)}`;
  const limit = deadline(timeoutMs, `a ${protocol} message did not reach every node`);
  let expired = false;
  limit.promise.catch(() => {
    expired = true;
  });
  const clients = await Promise.race([
    (protocol === 'socketio' ? socketioClients : wsClients)(ports, payload),
    limit.promise,
  ]);
  try {
    await until(clients.subscribed, () => expired);
    clients.publish();
    await until(clients.delivered, () => expired);
    if (!clients.delivered()) await limit.promise;
  } finally {
    limit.cancel();
    clients.close();
  }
}
