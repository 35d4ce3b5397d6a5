import {
  clientFrame,
  closePayload,
  nextEvent,
  openRawWebSocket,
  openWs,
  rawExchange,
  waitFor,
  wsClosed,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createServer,
  type HandshakeRequest,
  type ServerOptions,
  type WebSocketConnection,
  WebSocketServer,
} from '../../src/index.js';

const servers: WebSocketServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close({ timeoutMs: 500 });
});

/** A standalone echo server: every message goes back as it came. */
async function echoServer(options: ServerOptions = {}): Promise<{
  server: WebSocketServer;
  port: number;
  url: string;
}> {
  const server = await createServer({ port: 0, host: '127.0.0.1', ...options });
  servers.push(server);
  server.on('connection', (connection) => {
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
  const port = server.address()?.port ?? 0;
  return { server, port, url: `ws://127.0.0.1:${port}` };
}

describe('standalone WebSocketServer', () => {
  it('listens on 127.0.0.1 on the port the system chose', async () => {
    const { server, port } = await echoServer();
    expect(port).toBeGreaterThan(0);
    expect(server.address()).toMatchObject({ address: '127.0.0.1', port });
  });

  it('refuses to listen twice', async () => {
    const { server } = await echoServer();
    await expect(server.listen(0)).rejects.toThrow(/already listens/);
  });

  it('echoes text and binary messages to a ws client', async () => {
    const { url } = await echoServer();
    const socket = await openWs(url, { perMessageDeflate: false });
    const text = wsNextMessage(socket);
    socket.send('héllo');
    expect(await text).toEqual({ data: Buffer.from('héllo'), isBinary: false });
    const binary = wsNextMessage(socket);
    socket.send(Buffer.from([0, 1, 2, 255]));
    expect(await binary).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
    socket.close();
  });

  it('reads frames sent in the same TCP write as the handshake', async () => {
    const { port } = await echoServer();
    const raw = await openRawWebSocket(port, {
      after: Buffer.concat([
        clientFrame(1, 'early text'),
        clientFrame(2, Buffer.from([1, 2, 3])),
        clientFrame(9, 'early ping'),
      ]),
    });
    const frames = await raw.waitForFrames(3);
    expect(frames.map((f) => [f.opcode, f.payload.toString('latin1')])).toEqual([
      [1, 'early text'],
      [2, '\x01\x02\x03'],
      [10, 'early ping'],
    ]);
    raw.destroy();
  });

  it('reads a close frame sent in the same TCP write as the handshake', async () => {
    const { server, port } = await echoServer();
    const closed = nextEvent<[WebSocketConnection]>(server, 'connection').then(([connection]) =>
      nextEvent<[number, string]>(connection, 'close'),
    );
    const raw = await openRawWebSocket(port, {
      after: clientFrame(8, closePayload(4000, 'at once')),
    });
    expect((await closed).slice(0, 2)).toEqual([4000, 'at once']);
    await raw.waitForFrames(1);
    expect(raw.closeFrame()).toEqual({ code: 4000, reason: '' });
    expect(await raw.waitForClose()).toBe(true);
  });

  it('emits connection with the request: path, query, headers and remote address', async () => {
    const { server, port } = await echoServer();
    const event = nextEvent<[WebSocketConnection, HandshakeRequest]>(server, 'connection');
    const raw = await openRawWebSocket(port, {
      path: '/room/7?user=ada',
      headers: { 'X-Trace': 'abc' },
    });
    const [connection, request] = await event;
    expect(request.path).toBe('/room/7');
    expect(request.url).toBe('/room/7?user=ada');
    expect(request.query.get('user')).toBe('ada');
    expect(request.headers['x-trace']).toBe('abc');
    expect(request.remoteAddress).toBe('127.0.0.1');
    expect(connection.remoteAddress).toBe('127.0.0.1');
    expect(connection.readyState).toBe(1);
    raw.destroy();
  });

  it('chooses the first supported subprotocol in its own order of preference', async () => {
    const { url } = await echoServer({ subprotocols: ['chat.v2', 'chat.v1'] });
    const socket = await openWs(url, { protocols: ['chat.v1', 'chat.v2'] });
    expect(socket.protocol).toBe('chat.v2');
    socket.close();
    // A client offering nothing supported gets no Sec-WebSocket-Protocol (RFC 6455 §4.2.2).
    const none = await openRawWebSocket(Number(new URL(url).port), {
      headers: { 'Sec-WebSocket-Protocol': 'other' },
    });
    expect(none.response.status).toBe(101);
    expect(none.response.headers['sec-websocket-protocol']).toBeUndefined();
    none.destroy();
  });

  it('delivers text as a Buffer when textAs is buffer', async () => {
    const { server, port } = await echoServer({ textAs: 'buffer' });
    // The listener must be on before the connection reads the bytes that came with the head.
    const message = new Promise<[unknown, boolean]>((resolve) => {
      server.once('connection', (connection) => {
        connection.once('message', (data, isBinary) => resolve([data, isBinary]));
      });
    });
    const raw = await openRawWebSocket(port, { after: clientFrame(1, 'as bytes') });
    const [data, isBinary] = await message;
    expect(Buffer.isBuffer(data)).toBe(true);
    expect(String(data)).toBe('as bytes');
    expect(isBinary).toBe(false);
    raw.destroy();
  });

  it('does not answer permessage-deflate when it is turned off', async () => {
    const { port } = await echoServer({ perMessageDeflate: false });
    const raw = await openRawWebSocket(port, {
      headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' },
    });
    expect(raw.response.headers['sec-websocket-extensions']).toBeUndefined();
    raw.destroy();
  });

  it('answers the 101 with the accept key of RFC 6455 §1.3', async () => {
    const { port } = await echoServer();
    const raw = await openRawWebSocket(port);
    expect(raw.response.status).toBe(101);
    expect(raw.response.headers['sec-websocket-accept']).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(raw.response.headers.upgrade?.toLowerCase()).toBe('websocket');
    raw.destroy();
  });

  it('forgets a connection when the client closes, and a half-sent head when it leaves', async () => {
    const { server, port, url } = await echoServer();
    const socket = await openWs(url);
    await waitFor(() => server.clients.size === 1);
    const closed = wsClosed(socket);
    socket.close(1000);
    expect((await closed).code).toBe(1000);
    await waitFor(() => server.clients.size === 0, { what: 'the connection to be released' });
    const half = await rawExchange(port, Buffer.from('GET / HTTP/1.1\r\nHost: x'), {
      timeoutMs: 100,
    });
    expect(half.closedByServer).toBe(false);
    expect(server.clients.size).toBe(0);
  });

  it('serves many concurrent clients', async () => {
    const { server, url } = await echoServer();
    const sockets = await Promise.all(
      Array.from({ length: 50 }, () => openWs(url, { perMessageDeflate: false })),
    );
    expect(server.clients.size).toBe(50);
    const answers = await Promise.all(
      sockets.map((socket, i) => {
        const answer = wsNextMessage(socket);
        socket.send(`client ${i}`);
        return answer;
      }),
    );
    expect(answers.map((a) => a.data.toString())).toEqual(sockets.map((_, i) => `client ${i}`));
    for (const socket of sockets) socket.terminate();
    await waitFor(() => server.clients.size === 0, { what: 'every connection to be released' });
  });
});

describe('WebSocketServer without listen()', () => {
  it('has no address', () => {
    const server = new WebSocketServer();
    expect(server.address()).toBeUndefined();
  });
});
