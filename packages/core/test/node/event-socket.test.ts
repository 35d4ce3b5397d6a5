import { openWs, waitFor, wsClosed } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import {
  type CloseOnError,
  type EventParser,
  EventServer,
  type EventSocket,
} from '../../src/adapter/index.js';
import { createServer, type LogEvent, type WebSocketServer } from '../../src/index.js';

const servers: WebSocketServer[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  for (const server of servers.splice(0)) await server.close({ timeoutMs: 200 });
});

interface Endpoint {
  readonly url: string;
  readonly events: EventServer;
  readonly logs: LogEvent[];
}

async function endpoint(
  setup: (socket: EventSocket) => void,
  options: { closeOnError?: boolean | CloseOnError; parser?: EventParser } = {},
): Promise<Endpoint> {
  const core = await createServer({ port: 0, perMessageDeflate: false, heartbeatIntervalMs: 0 });
  servers.push(core);
  const logs: LogEvent[] = [];
  const events = new EventServer(core, {
    parser: () => options.parser,
    closeOnError: options.closeOnError,
    onLog: (event) => logs.push(event),
  });
  events.on('connection', setup);
  return { url: `ws://127.0.0.1:${core.address()?.port}`, events, logs };
}

const inboxes = new WeakMap<WebSocket, string[]>();

/** A client whose messages are recorded from the start, so that none is missed. */
async function open(url: string): Promise<WebSocket> {
  const client = await openWs(url);
  clients.push(client);
  const inbox: string[] = [];
  inboxes.set(client, inbox);
  client.on('message', (data) => inbox.push(String(data)));
  return client;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read fields of JSON they just received.
async function next(client: WebSocket): Promise<{ event: string; data?: any }> {
  const inbox = inboxes.get(client) ?? [];
  await waitFor(() => inbox.length > 0, { what: 'a message' });
  return JSON.parse(inbox.shift() as string);
}

describe('event sockets: JSON { event, data } both ways', () => {
  it('hands each event to its handler and sends emit() as { event, data }', async () => {
    const { url } = await endpoint((socket) =>
      socket.addHandlers([['greet', (data) => socket.emit('greeted', `hello ${String(data)}`)]]),
    );
    const client = await open(url);
    client.send(JSON.stringify({ event: 'greet', data: 'Ada' }));
    expect(await next(client)).toEqual({ event: 'greeted', data: 'hello Ada' });
  });

  it('answers a message that is not JSON, and an unknown event, with their error messages', async () => {
    const { url } = await endpoint((socket) =>
      socket.addHandlers([
        ['a', () => {}],
        ['b', () => {}],
      ]),
    );
    const client = await open(url);
    client.send('hello');
    const malformed = await next(client);
    expect(malformed.event).toBe('error');
    expect(malformed.data).toMatchObject({ code: 'WSG_MESSAGE_MALFORMED' });
    expect(malformed.data.message).toMatch(/^the message is not JSON/);
    client.send(JSON.stringify({ event: 'c' }));
    expect((await next(client)).data).toMatchObject({
      code: 'WSG_EVENT_UNHANDLED',
      pattern: 'c',
      message: 'no handler for "c"; this endpoint handles "a", "b"',
    });
  });

  it('reads messages with a custom parser, which may drop one or report it malformed', async () => {
    const parser: EventParser = (data) => {
      const text = String(data);
      if (text === 'skip') return undefined;
      if (!text.includes(':')) throw new Error('write event:data');
      const [event = '', rest] = text.split(':');
      return { event, data: rest };
    };
    const { url } = await endpoint(
      (socket) => socket.addHandlers([['say', (data) => socket.emit('said', data)]]),
      { parser },
    );
    const client = await open(url);
    client.send('skip');
    client.send('nonsense');
    client.send('say:hi');
    expect((await next(client)).data).toMatchObject({
      code: 'WSG_MESSAGE_MALFORMED',
      message: 'write event:data',
    });
    expect(await next(client)).toEqual({ event: 'said', data: 'hi' });
  });

  it('finishes an asynchronous handler before the next message and before a close', async () => {
    const { url } = await endpoint((socket) =>
      socket.addHandlers([
        [
          'slow',
          async (data) => {
            await new Promise((resolve) => setTimeout(resolve, 20 - Number(data) * 5));
            socket.emit('done', data);
          },
        ],
      ]),
    );
    const client = await open(url);
    const closed = wsClosed(client);
    for (const n of [0, 1, 2, 3]) client.send(JSON.stringify({ event: 'slow', data: n }));
    client.close(1000);
    const seen: unknown[] = [];
    for (let i = 0; i < 4; i++) seen.push((await next(client)).data);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect((await closed).code).toBe(1000);
  });

  it("sends a handler's error as WSG_INTERNAL_ERROR without its text, and logs it", async () => {
    const { url, logs } = await endpoint((socket) =>
      socket.addHandlers([
        [
          'crash',
          () => {
            throw new Error('the vault code is 1234');
          },
        ],
      ]),
    );
    const client = await open(url);
    client.send(JSON.stringify({ event: 'crash' }));
    const { data } = await next(client);
    expect(data).toMatchObject({
      code: 'WSG_INTERNAL_ERROR',
      message: 'Internal server error',
      pattern: 'crash',
    });
    expect(JSON.stringify(data)).not.toContain('1234');
    expect(logs).toContainEqual(
      expect.objectContaining({
        event: 'wsgate.connection.handler_failed',
        detail: expect.stringContaining('the vault code is 1234'),
      }),
    );
  });

  it('closes after the error message where closeOnError asks for it: 1008, or 1011 for internal', async () => {
    const { url } = await endpoint((socket) => socket.addHandlers([]), {
      closeOnError: { unhandledEvent: true },
    });
    const client = await open(url);
    const closed = wsClosed(client);
    client.send(JSON.stringify({ event: 'nope' }));
    expect((await next(client)).data.message).toContain('this endpoint handles no events');
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(/^WSG_EVENT_UNHANDLED/);
  });
});

describe('event servers', () => {
  it('broadcasts { event, data } to every open socket and says to how many', async () => {
    const { url, events } = await endpoint(() => {});
    const [one, two] = [await open(url), await open(url)];
    await waitFor(() => events.clients.size === 2, { what: 'both sockets' });
    expect(events.emit('news', { n: 1 })).toBe(2);
    expect(await next(one)).toEqual({ event: 'news', data: { n: 1 } });
    expect(await next(two)).toEqual({ event: 'news', data: { n: 1 } });
  });

  it('closes 1011 a socket whose connection listener threw, and logs it', async () => {
    const { url, logs } = await endpoint(() => {
      throw new Error('setup failed');
    });
    const client = await open(url);
    const { code } = await wsClosed(client);
    expect(code).toBe(1011);
    expect(logs).toContainEqual(
      expect.objectContaining({
        event: 'wsgate.connection.handler_failed',
        detail: expect.stringContaining('setup failed'),
      }),
    );
  });

  it('keeps the close code on the socket for later listeners', async () => {
    let socket: EventSocket | undefined;
    const { url } = await endpoint((s) => {
      socket = s;
    });
    const client = await open(url);
    await waitFor(() => socket !== undefined);
    const closed = new Promise<number | undefined>((resolve) =>
      socket?.once('close', () => resolve(socket?.closeCode)),
    );
    client.close(4001, 'bye');
    expect(await closed).toBe(4001);
    expect(socket?.closeReason).toBe('bye');
    expect(socket?.isOpen).toBe(false);
  });
});
