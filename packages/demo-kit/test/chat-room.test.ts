import { createServer, MemoryBackplane, type WebSocketServer } from '@wsgate/core';
import { openWs, waitFor } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { CHAT_CONNECTION_LIMITS, ChatRoom, DEFAULT_MAX_CHAT_MEMBERS } from '../src/chat-room.js';

type ChatEvent = { event: string; data: Record<string, unknown> };

const servers: WebSocketServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  for (const server of servers.splice(0)) await server.close({ timeoutMs: 500 });
});

/** A room on a real server with its own backplane, and a way to join it as a client. */
async function roomOn(room: ChatRoom) {
  const server = await createServer({
    port: 0,
    heartbeatIntervalMs: 0,
    backplane: new MemoryBackplane(),
  });
  servers.push(server);
  server.on('connection', (connection) => {
    connection.on('message', (data) => room.handle(connection, String(data)));
    connection.on('close', () => void room.leave(connection));
  });
  const url = `ws://127.0.0.1:${server.address()?.port}/`;
  return async (name: string) => {
    const socket = await openWs(url);
    sockets.push(socket);
    const received: ChatEvent[] = [];
    socket.on('message', (data) => received.push(JSON.parse(String(data)) as ChatEvent));
    socket.send(JSON.stringify({ event: 'join', data: { name } }));
    await waitFor(() => received.some((e) => e.event === 'welcome' || e.event === 'error'), {
      what: `${name}'s answer`,
    });
    return { socket, received };
  };
}

describe('the chat room', () => {
  it('takes 100 members by default, and bounds what a /chat connection may make the server hold', () => {
    expect(new ChatRoom().maxMembers).toBe(DEFAULT_MAX_CHAT_MEMBERS);
    expect(DEFAULT_MAX_CHAT_MEMBERS).toBe(100);
    expect(CHAT_CONNECTION_LIMITS).toEqual({
      maxMessageBytes: 64 * 1024,
      maxBufferedBytes: 1024 * 1024,
    });
  });

  it('refuses a join past maxMembers with an error, and tells the room nothing', async () => {
    const room = new ChatRoom(2);
    const join = await roomOn(room);
    const ada = await join('Ada');
    const bob = await join('Bob');
    await waitFor(() => ada.received.some((e) => e.event === 'joined'));
    const late = await join('Cy');
    expect(late.received).toEqual([
      { event: 'error', data: { message: 'the room is full (2 members); try again later' } },
    ]);
    expect(room.size).toBe(2);
    expect(bob.received[0]).toMatchObject({ event: 'welcome', data: { online: ['Ada', 'Bob'] } });
    expect([...ada.received, ...bob.received].some((e) => e.data.name === 'Cy')).toBe(false);
  });

  it('lists who is online from the topic presence, and tells the others of joins and leaves', async () => {
    const join = await roomOn(new ChatRoom());
    const ada = await join('Ada');
    const bob = await join('Bob');
    await waitFor(() => ada.received.some((e) => e.event === 'joined'));
    expect(ada.received.find((e) => e.event === 'joined')?.data).toEqual({
      name: 'Bob',
      online: ['Ada', 'Bob'],
    });
    // The newcomer hears its welcome, not its own join notice.
    expect(bob.received.map((e) => e.event)).toEqual(['welcome']);
    bob.socket.close();
    await waitFor(() => ada.received.some((e) => e.event === 'left'));
    expect(ada.received.find((e) => e.event === 'left')?.data).toEqual({
      name: 'Bob',
      online: ['Ada'],
    });
  });
});
