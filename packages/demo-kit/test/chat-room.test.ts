import { createServer, MemoryBackplane, type WebSocketServer } from '@wsgate/core';
import { MemoryHub } from '@wsgate/core/adapter';
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

/**
 * A room on a real server with its own backplane (or one on `hub`, shared with the other
 * instances of the cluster), and a way to join it as a client.
 */
async function roomOn(room: ChatRoom, hub?: MemoryHub) {
  const server = await createServer({
    port: 0,
    heartbeatIntervalMs: 0,
    backplane: new MemoryBackplane(hub === undefined ? {} : { hub }),
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
    return {
      socket,
      received,
      send: (event: string, data: unknown) => socket.send(JSON.stringify({ event, data })),
    };
  };
}

const events = (received: readonly ChatEvent[], event: string) =>
  received.filter((e) => e.event === event);

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

describe('names in the chat room', () => {
  it('refuses a name a member on another instance has, whatever its case, with an error about the name, and tells the room nothing', async () => {
    const hub = new MemoryHub();
    const joinOne = await roomOn(new ChatRoom(), hub);
    const joinTwo = await roomOn(new ChatRoom(), hub);
    const ada = await joinOne('Ada');
    const late = await joinTwo(' ADA ');
    expect(late.received).toEqual([
      {
        event: 'error',
        data: {
          message: 'the name ADA is taken: someone in the room has it; choose another',
          about: 'name',
        },
      },
    ]);
    // Still free to join under another name.
    late.send('join', { name: 'Bob' });
    await waitFor(() => events(late.received, 'welcome').length === 1);
    expect(events(late.received, 'welcome')[0]?.data.online).toEqual(['Ada', 'Bob']);
    await waitFor(() => events(ada.received, 'joined').length === 1);
    expect(ada.received.map((e) => e.event)).toEqual(['welcome', 'joined']);
  });

  it('tells everyone of a rename, the renamer included, refuses a taken or malformed one, and frees the old name', async () => {
    const hub = new MemoryHub();
    const joinOne = await roomOn(new ChatRoom(), hub);
    const joinTwo = await roomOn(new ChatRoom(), hub);
    const ada = await joinOne('Ada');
    const bob = await joinTwo('Bob');
    bob.send('rename', { name: 'ada' });
    bob.send('rename', { name: 'Bob' });
    bob.send('rename', { name: '<b>' });
    bob.send('rename', { name: 'Bea' });
    for (const person of [ada, bob])
      await waitFor(() => events(person.received, 'renamed').length === 1, { what: 'the rename' });
    expect(events(bob.received, 'error').map((e) => e.data)).toEqual([
      {
        message: 'the name ada is taken: someone in the room has it; choose another',
        about: 'name',
      },
      { message: 'you are Bob already', about: 'name' },
      {
        message: 'a name is 1 to 32 letters, digits, spaces, dots, dashes or underscores',
        about: 'name',
      },
    ]);
    for (const person of [ada, bob])
      expect(events(person.received, 'renamed')[0]?.data).toEqual({
        from: 'Bob',
        to: 'Bea',
        online: ['Ada', 'Bea'],
      });
    // Bob is free again; a change of case keeps one's own name; messages carry the new names.
    ada.send('rename', { name: 'Bob' });
    await waitFor(() => events(bob.received, 'renamed').length === 2);
    bob.send('join', { name: 'BEA' });
    bob.send('message', { text: 'hi' });
    await waitFor(() => events(ada.received, 'message').length === 1);
    expect(events(ada.received, 'renamed')[2]?.data).toEqual({
      from: 'Bea',
      to: 'BEA',
      online: ['BEA', 'Bob'],
    });
    expect(events(ada.received, 'message')[0]?.data).toMatchObject({ from: 'BEA', text: 'hi' });
    // Renaming before joining is an error.
    const newcomer = await openWs(ada.socket.url);
    sockets.push(newcomer);
    const answer = new Promise<ChatEvent>((resolve) =>
      newcomer.once('message', (data) => resolve(JSON.parse(String(data)) as ChatEvent)),
    );
    newcomer.send(JSON.stringify({ event: 'rename', data: { name: 'Cy' } }));
    expect(await answer).toEqual({
      event: 'error',
      data: { message: 'join the room with a name first' },
    });
  });

  it('gives a name claimed by two members at once, on two instances, to at most one of them', async () => {
    const hub = new MemoryHub();
    const rooms = [await roomOn(new ChatRoom(), hub), await roomOn(new ChatRoom(), hub)];
    for (let round = 0; round < 10; round++) {
      const name = `Twin ${round}`;
      const twins = await Promise.all(rooms.map((join) => join(name)));
      const welcomed = twins.filter((twin) => events(twin.received, 'welcome').length > 0);
      expect(welcomed.length).toBeLessThanOrEqual(1);
      for (const twin of twins) twin.socket.close();
    }
  });

  it('frees the name of a member who leaves', async () => {
    const join = await roomOn(new ChatRoom());
    const ada = await join('Ada');
    const bob = await join('Bob');
    ada.socket.close();
    await waitFor(() => events(bob.received, 'left').length === 1);
    const again = await join('Ada');
    expect(again.received.map((e) => e.event)).toEqual(['welcome']);
  });
});
