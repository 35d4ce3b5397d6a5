import type { Socket } from 'node:net';
import {
  clientFrame,
  nextEvent,
  openWs,
  randomBytes,
  seededRandom,
  waitFor,
  wordyText,
  wsClosed,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { type PerMessageDeflateOptions, WebSocketServer as WsServer } from 'ws';
import {
  type ConnectOptions,
  connect,
  createServer,
  type ServerOptions,
  type WebSocketConnection,
  type WebSocketServer,
  type WsgateError,
} from '../../src/index.js';

const MiB = 1024 * 1024;
const SIZES = [0, 1, 125, 126, 65_535, 65_536, MiB];

const stops: Array<() => Promise<void>> = [];
const clients: Array<WebSocket | WebSocketConnection> = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  for (const stop of stops.splice(0).reverse()) await stop();
});

// --- payloads ---------------------------------------------------------------------------

const random = seededRandom(0x77736761);
/** 64 KiB of noise, tiled: incompressible (the period is longer than any DEFLATE window). */
const noise = randomBytes(random, 64 * 1024);
const words = Buffer.from(wordyText(random, 17 * MiB));

function noiseOf(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let offset = 0; offset < size; offset += noise.length) noise.copy(out, offset);
  return out;
}

/** Valid UTF-8 of exactly `size` bytes (ASCII padding where a character would be cut). */
function textOf(size: number, offset = 0): Buffer {
  const slice = words.subarray(offset, offset + size);
  const text = Buffer.from(slice.toString('utf8').replace(/\uFFFD/g, 'x'));
  return text.length === size
    ? text
    : Buffer.concat([text, Buffer.alloc(size - text.length, 0x78)]).subarray(0, size);
}

function asBuffer(data: unknown): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
}

// --- servers and clients ----------------------------------------------------------------

async function ourEchoServer(options: ServerOptions = {}): Promise<{
  server: WebSocketServer;
  url: string;
  connections: WebSocketConnection[];
}> {
  const server = await createServer({ port: 0, heartbeatIntervalMs: 0, ...options });
  stops.push(() => server.close({ timeoutMs: 500 }));
  const connections: WebSocketConnection[] = [];
  server.on('connection', (connection) => {
    connections.push(connection);
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
  return { server, url: `ws://127.0.0.1:${server.address()?.port}`, connections };
}

async function wsEchoServer(
  options: { perMessageDeflate?: boolean | PerMessageDeflateOptions } = {},
): Promise<{ server: WsServer; url: string; sockets: WebSocket[] }> {
  const server = new WsServer({ port: 0, host: '127.0.0.1', ...options });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const sockets: WebSocket[] = [];
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of server.clients) socket.terminate();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { server, url: `ws://127.0.0.1:${port}`, sockets };
}

async function wsClient(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const socket = await openWs(url, { maxPayload: 64 * MiB, ...options });
  clients.push(socket);
  return socket;
}

async function ourClient(url: string, options: ConnectOptions = {}): Promise<WebSocketConnection> {
  const connection = await connect(url, { heartbeatIntervalMs: 0, ...options });
  clients.push(connection);
  return connection;
}

/** The TCP socket under a ws WebSocket (ws keeps it in `_socket`). */
function tcpOf(socket: WebSocket): Socket {
  return (socket as unknown as { _socket: Socket })._socket;
}

async function echoViaWs(socket: WebSocket, payload: Buffer, isBinary: boolean): Promise<void> {
  const answer = wsNextMessage(socket, 15_000);
  socket.send(payload, { binary: isBinary });
  const { data, isBinary: answeredBinary } = await answer;
  expect(answeredBinary).toBe(isBinary);
  expect(data.length).toBe(payload.length);
  expect(data.equals(payload)).toBe(true);
}

async function echoViaOurs(
  connection: WebSocketConnection,
  payload: Buffer,
  isBinary: boolean,
): Promise<void> {
  const answer = nextEvent<[unknown, boolean]>(connection, 'message', 15_000);
  connection.send(payload, { binary: isBinary });
  const [data, answeredBinary] = await answer;
  expect(answeredBinary).toBe(isBinary);
  expect(typeof data === 'string').toBe(!isBinary);
  const bytes = asBuffer(data);
  expect(bytes.length).toBe(payload.length);
  expect(bytes.equals(payload)).toBe(true);
}

/**
 * The permessage-deflate parameters both sides agreed on: what the wsgate server answered, after
 * checking that ws accepted exactly that (ws keeps them in `_extensions`, its `extensions` getter
 * only lists names).
 */
async function agreed(
  socket: WebSocket,
  connections: WebSocketConnection[],
): Promise<Record<string, number | true>> {
  await waitFor(() => connections.length > 0);
  const header = connections[0]?.extensions ?? '';
  const answered: Record<string, number | true> = {};
  for (const param of header.split(';').slice(1)) {
    const [name = '', value] = param.trim().split('=');
    answered[name] = value === undefined ? true : Number(value);
  }
  const wsParams = (
    socket as unknown as { _extensions: Record<string, { params: Record<string, unknown> }> }
  )._extensions['permessage-deflate']?.params;
  // Window bits left unsaid are 15 (RFC 7692 §7.1.2); ws writes that default down.
  const withDefaults = (params: Record<string, unknown> | undefined) => ({
    server_max_window_bits: 15,
    client_max_window_bits: 15,
    ...params,
  });
  expect(withDefaults(wsParams)).toEqual(withDefaults(answered));
  return withDefaults(answered) as Record<string, number | true>;
}

function closeOf(connection: WebSocketConnection) {
  return nextEvent<[number, string, WsgateError | undefined]>(connection, 'close');
}

// --- ws client, wsgate server ---------------------------------------------------------------

describe('a ws client and a wsgate server', () => {
  it.each(['text', 'binary'] as const)('echo %s messages of 0 B to 1 MiB', async (kind) => {
    const { url } = await ourEchoServer();
    const socket = await wsClient(url, { perMessageDeflate: false });
    for (const size of SIZES) {
      await echoViaWs(socket, kind === 'text' ? textOf(size) : noiseOf(size), kind === 'binary');
    }
  });

  it.each(['text', 'binary'] as const)('echo a 16 MiB %s message', async (kind) => {
    const { url } = await ourEchoServer();
    const socket = await wsClient(url, { perMessageDeflate: false });
    await echoViaWs(
      socket,
      kind === 'text' ? textOf(16 * MiB) : noiseOf(16 * MiB),
      kind === 'binary',
    );
  });

  it('reassemble a message the ws client sends in fragments', async () => {
    const { url } = await ourEchoServer();
    const socket = await wsClient(url, { perMessageDeflate: false });
    const answer = wsNextMessage(socket);
    socket.send('frag', { fin: false });
    socket.send('men', { fin: false });
    socket.send('ted ✓', { fin: true });
    expect((await answer).data.toString()).toBe('fragmented ✓');
    const binary = wsNextMessage(socket);
    socket.send(Buffer.from([1, 2]), { fin: false, binary: true });
    socket.send(Buffer.from([3]), { fin: true, binary: true });
    expect(await binary).toEqual({ data: Buffer.from([1, 2, 3]), isBinary: true });
  });

  it('exchange pings and pongs in both directions', async () => {
    const { url, connections } = await ourEchoServer();
    const socket = await wsClient(url);
    await waitFor(() => connections.length === 1);
    const connection = connections[0] as WebSocketConnection;
    const serverSawPing = nextEvent<[Buffer]>(connection, 'ping');
    const pong = nextEvent<[Buffer]>(socket, 'pong');
    socket.ping('from ws');
    expect((await serverSawPing)[0].toString()).toBe('from ws');
    expect((await pong)[0].toString()).toBe('from ws');
    const clientSawPing = nextEvent<[Buffer]>(socket, 'ping');
    const serverPong = nextEvent<[Buffer]>(connection, 'pong');
    connection.ping('from wsgate');
    expect((await clientSawPing)[0].toString()).toBe('from wsgate');
    expect((await serverPong)[0].toString()).toBe('from wsgate');
  });

  describe('close paths', () => {
    async function pair() {
      const { url, connections } = await ourEchoServer();
      const socket = await wsClient(url);
      await waitFor(() => connections.length === 1);
      return { socket, connection: connections[0] as WebSocketConnection };
    }

    it('a client close with code and reason reaches the server, which echoes the code', async () => {
      const { socket, connection } = await pair();
      const serverClosed = closeOf(connection);
      const clientClosed = wsClosed(socket);
      socket.close(4000, 'client says bye');
      expect(await serverClosed).toEqual([4000, 'client says bye', undefined]);
      expect((await clientClosed).code).toBe(4000);
    });

    it('a server close with code and reason reaches the client', async () => {
      const { socket, connection } = await pair();
      const serverClosed = closeOf(connection);
      const clientClosed = wsClosed(socket);
      connection.close(4001, 'server says bye');
      expect(await clientClosed).toEqual({ code: 4001, reason: 'server says bye' });
      expect((await serverClosed)[0]).toBe(4001);
    });

    it('a close frame without a code is reported as 1005 on both sides', async () => {
      const { socket, connection } = await pair();
      const serverClosed = closeOf(connection);
      const clientClosed = wsClosed(socket);
      socket.close();
      expect((await serverClosed)[0]).toBe(1005);
      expect((await clientClosed).code).toBe(1005);
    });

    it('a server close(1005) sends an empty close frame', async () => {
      const { socket, connection } = await pair();
      const clientClosed = wsClosed(socket);
      connection.close(1005);
      expect((await clientClosed).code).toBe(1005);
    });

    it('an abrupt TCP close is 1006 with WSG_CONNECTION_LOST on the server', async () => {
      const { socket, connection } = await pair();
      const serverClosed = closeOf(connection);
      socket.terminate();
      const [code, reason, error] = await serverClosed;
      expect([code, reason]).toEqual([1006, '']);
      expect(error?.code).toBe('WSG_CONNECTION_LOST');
    });

    it('a protocol error makes the server close with 1002, which the ws client sees', async () => {
      const { socket, connection } = await pair();
      const serverClosed = closeOf(connection);
      const clientClosed = wsClosed(socket);
      // ws never sends a reserved opcode; write one under it, masked as a client must.
      tcpOf(socket).write(clientFrame(3, 'reserved opcode'));
      const { code, reason } = await clientClosed;
      expect(code).toBe(1002);
      expect(reason.startsWith('WSG_FRAME_OPCODE_UNKNOWN')).toBe(true);
      const [serverCode, , error] = await serverClosed;
      expect(serverCode).toBe(1002);
      expect(error?.code).toBe('WSG_FRAME_OPCODE_UNKNOWN');
    });
  });
});

// --- wsgate client, ws server ---------------------------------------------------------------

describe('a wsgate client and a ws server', () => {
  it.each(['text', 'binary'] as const)('echo %s messages of 0 B to 1 MiB', async (kind) => {
    const { url } = await wsEchoServer({ perMessageDeflate: false });
    const connection = await ourClient(url, { perMessageDeflate: false });
    for (const size of SIZES) {
      await echoViaOurs(
        connection,
        kind === 'text' ? textOf(size) : noiseOf(size),
        kind === 'binary',
      );
    }
  });

  it.each(['text', 'binary'] as const)('echo a 16 MiB %s message', async (kind) => {
    const { url } = await wsEchoServer({ perMessageDeflate: false });
    const connection = await ourClient(url, { perMessageDeflate: false });
    await echoViaOurs(
      connection,
      kind === 'text' ? textOf(16 * MiB) : noiseOf(16 * MiB),
      kind === 'binary',
    );
  });

  it('reassemble a message the ws server sends in fragments', async () => {
    const { url, sockets } = await wsEchoServer();
    const connection = await ourClient(url);
    await waitFor(() => sockets.length === 1);
    const server = sockets[0] as WebSocket;
    const message = nextEvent<[unknown, boolean]>(connection, 'message');
    server.send('one, ', { fin: false });
    server.send('two, ', { fin: false });
    server.send('three', { fin: true });
    expect(await message).toEqual(['one, two, three', false]);
  });

  it('exchange pings and pongs in both directions', async () => {
    const { url, sockets } = await wsEchoServer();
    const connection = await ourClient(url);
    await waitFor(() => sockets.length === 1);
    const server = sockets[0] as WebSocket;
    const serverPing = nextEvent<[Buffer]>(server, 'ping');
    const clientPong = nextEvent<[Buffer]>(connection, 'pong');
    connection.ping('from wsgate');
    expect((await serverPing)[0].toString()).toBe('from wsgate');
    expect((await clientPong)[0].toString()).toBe('from wsgate');
    const clientPing = nextEvent<[Buffer]>(connection, 'ping');
    const serverPong = nextEvent<[Buffer]>(server, 'pong');
    server.ping('from ws');
    expect((await clientPing)[0].toString()).toBe('from ws');
    expect((await serverPong)[0].toString()).toBe('from ws');
  });

  describe('close paths', () => {
    async function pair() {
      const { url, sockets } = await wsEchoServer();
      const connection = await ourClient(url);
      await waitFor(() => sockets.length === 1);
      return { connection, server: sockets[0] as WebSocket };
    }

    it('a client close with code and reason reaches the server', async () => {
      const { connection, server } = await pair();
      const serverClosed = wsClosed(server);
      const clientClosed = closeOf(connection);
      connection.close(4000, 'client says bye');
      expect(await serverClosed).toEqual({ code: 4000, reason: 'client says bye' });
      const [code, , error] = await clientClosed;
      expect(code).toBe(4000);
      expect(error).toBeUndefined();
    });

    it('a server close with code and reason reaches the client', async () => {
      const { connection, server } = await pair();
      const clientClosed = closeOf(connection);
      server.close(4001, 'server says bye');
      expect(await clientClosed).toEqual([4001, 'server says bye', undefined]);
    });

    it('a close frame without a code is reported as 1005', async () => {
      const { connection, server } = await pair();
      const clientClosed = closeOf(connection);
      const serverClosed = wsClosed(server);
      server.close();
      expect((await clientClosed)[0]).toBe(1005);
      expect((await serverClosed).code).toBe(1005);
    });

    it('an abrupt TCP close is 1006 with WSG_CONNECTION_LOST on the client', async () => {
      const { connection, server } = await pair();
      const clientClosed = closeOf(connection);
      server.terminate();
      const [code, , error] = await clientClosed;
      expect(code).toBe(1006);
      expect(error?.code).toBe('WSG_CONNECTION_LOST');
    });

    it('a protocol error makes the client close with 1002, which the ws server sees', async () => {
      const { connection, server } = await pair();
      const clientClosed = closeOf(connection);
      const serverClosed = wsClosed(server);
      tcpOf(server).write(Buffer.from([0x83, 0x02, 0x68, 0x69]));
      const [code, , error] = await clientClosed;
      expect(code).toBe(1002);
      expect(error?.code).toBe('WSG_FRAME_OPCODE_UNKNOWN');
      const { code: serverCode, reason } = await serverClosed;
      expect(serverCode).toBe(1002);
      expect(reason.startsWith('WSG_FRAME_OPCODE_UNKNOWN')).toBe(true);
    });
  });
});

// --- permessage-deflate with ws ---------------------------------------------------------------

const DEFLATE_SIZES = [0, 1, 1_000, 65_536, MiB];

describe('permessage-deflate with a ws client', () => {
  it('is negotiated, and compresses on the wire in both directions', async () => {
    const { url, connections } = await ourEchoServer();
    const socket = await wsClient(url, { perMessageDeflate: true });
    expect(socket.extensions).toContain('permessage-deflate');
    await waitFor(() => connections.length === 1);
    expect(connections[0]?.extensions).toContain('permessage-deflate');
    const tcp = tcpOf(socket);
    const [written, read] = [tcp.bytesWritten, tcp.bytesRead];
    await echoViaWs(socket, textOf(MiB), false);
    expect(tcp.bytesWritten - written).toBeLessThan(MiB / 2);
    expect(tcp.bytesRead - read).toBeLessThan(MiB / 2);
  });

  it.each(['text', 'binary'] as const)(
    'echoes compressed %s messages of 0 B to 1 MiB with context takeover',
    async (kind) => {
      const { url } = await ourEchoServer({ perMessageDeflate: { thresholdBytes: 0 } });
      const socket = await wsClient(url, { perMessageDeflate: { threshold: 0 } });
      for (const size of DEFLATE_SIZES) {
        await echoViaWs(
          socket,
          kind === 'text' ? textOf(size, size) : noiseOf(size),
          kind === 'binary',
        );
        // The same words again: the second copy refers back into the first.
        await echoViaWs(socket, textOf(size, size), kind === 'binary');
      }
    },
  );

  it.each(['text', 'binary'] as const)('echoes a compressed 16 MiB %s message', async (kind) => {
    const { url } = await ourEchoServer();
    const socket = await wsClient(url, { perMessageDeflate: true });
    await echoViaWs(socket, textOf(16 * MiB), kind === 'binary');
  });

  it('echoes incompressible data compressed to 4 MiB', async () => {
    const { url } = await ourEchoServer();
    const socket = await wsClient(url, { perMessageDeflate: true });
    await echoViaWs(socket, noiseOf(4 * MiB), true);
  });

  it('honours serverNoContextTakeover and clientNoContextTakeover requested by ws', async () => {
    const { url, connections } = await ourEchoServer({ perMessageDeflate: { thresholdBytes: 0 } });
    const socket = await wsClient(url, {
      perMessageDeflate: {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        threshold: 0,
      },
    });
    expect(await agreed(socket, connections)).toMatchObject({
      server_no_context_takeover: true,
      client_no_context_takeover: true,
    });
    for (let i = 0; i < 5; i++) await echoViaWs(socket, textOf(5_000 + i, 100), false);
  });

  it('applies its own serverNoContextTakeover and clientNoContextTakeover', async () => {
    const { url, connections } = await ourEchoServer({
      perMessageDeflate: {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        thresholdBytes: 0,
      },
    });
    const socket = await wsClient(url, { perMessageDeflate: { threshold: 0 } });
    expect(await agreed(socket, connections)).toMatchObject({
      server_no_context_takeover: true,
      client_no_context_takeover: true,
    });
    for (let i = 0; i < 5; i++) await echoViaWs(socket, textOf(5_000 + i, 100), false);
  });

  it.each([8, 9, 10, 11, 12, 13, 14, 15])(
    'echoes with window bits %i on both sides and context takeover',
    async (bits) => {
      const { url, connections } = await ourEchoServer({
        perMessageDeflate: { thresholdBytes: 0 },
      });
      const socket = await wsClient(url, {
        perMessageDeflate: { serverMaxWindowBits: bits, clientMaxWindowBits: bits, threshold: 0 },
      });
      const params = await agreed(socket, connections);
      expect(params.server_max_window_bits).toBe(bits);
      expect(params.client_max_window_bits).toBe(bits);
      // Messages that repeat each other at distances within and beyond the window.
      for (let i = 0; i < 6; i++)
        await echoViaWs(socket, textOf(700 + 250 * i, 40 * i), i % 2 === 0);
      await echoViaWs(socket, textOf(100_000, 3), false);
      await echoViaWs(socket, noiseOf(70_000), true);
    },
  );
});

describe('permessage-deflate with a ws server', () => {
  it('is negotiated, and echoes compressed messages of 0 B to 1 MiB with context takeover', async () => {
    const { url, sockets } = await wsEchoServer({ perMessageDeflate: { threshold: 0 } });
    const connection = await ourClient(url, { perMessageDeflate: { thresholdBytes: 0 } });
    expect(connection.extensions).toContain('permessage-deflate');
    await waitFor(() => sockets.length === 1);
    expect((sockets[0] as WebSocket).extensions).toContain('permessage-deflate');
    const tcp = tcpOf(sockets[0] as WebSocket);
    for (const size of DEFLATE_SIZES) {
      await echoViaOurs(connection, textOf(size, size), false);
      await echoViaOurs(connection, textOf(size, size), true);
      await echoViaOurs(connection, noiseOf(size), true);
    }
    const before = tcp.bytesRead;
    await echoViaOurs(connection, textOf(MiB), false);
    expect(tcp.bytesRead - before).toBeLessThan(MiB / 2);
  });

  it.each(['text', 'binary'] as const)('echoes a compressed 16 MiB %s message', async (kind) => {
    const { url } = await wsEchoServer({ perMessageDeflate: true });
    const connection = await ourClient(url);
    await echoViaOurs(connection, textOf(16 * MiB), kind === 'binary');
  });

  it('asks for and honours no context takeover in both directions', async () => {
    const { url, sockets } = await wsEchoServer({ perMessageDeflate: { threshold: 0 } });
    const connection = await ourClient(url, {
      perMessageDeflate: {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        thresholdBytes: 0,
      },
    });
    expect(connection.extensions).toContain('server_no_context_takeover');
    await waitFor(() => sockets.length === 1);
    for (let i = 0; i < 5; i++) await echoViaOurs(connection, textOf(5_000 + i, 100), false);
  });

  it('follows a ws server that turns context takeover off itself', async () => {
    const { url } = await wsEchoServer({
      perMessageDeflate: {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        threshold: 0,
      },
    });
    const connection = await ourClient(url, { perMessageDeflate: { thresholdBytes: 0 } });
    expect(connection.extensions).toContain('server_no_context_takeover');
    expect(connection.extensions).toContain('client_no_context_takeover');
    for (let i = 0; i < 5; i++) await echoViaOurs(connection, textOf(5_000 + i, 100), false);
  });

  it.each([8, 9, 10, 11, 12, 13, 14, 15])(
    'echoes with window bits %i on both sides and context takeover',
    async (bits) => {
      const { url } = await wsEchoServer({ perMessageDeflate: { threshold: 0 } });
      const connection = await ourClient(url, {
        perMessageDeflate: {
          serverMaxWindowBits: bits,
          clientMaxWindowBits: bits,
          thresholdBytes: 0,
        },
      });
      expect(connection.extensions).toContain(`server_max_window_bits=${bits}`);
      for (let i = 0; i < 6; i++) {
        await echoViaOurs(connection, textOf(700 + 250 * i, 40 * i), i % 2 === 0);
      }
      await echoViaOurs(connection, textOf(100_000, 3), false);
      await echoViaOurs(connection, noiseOf(70_000), true);
    },
  );

  it('uses the window a ws server imposes on the client', async () => {
    const { url } = await wsEchoServer({
      perMessageDeflate: { clientMaxWindowBits: 9, serverMaxWindowBits: 10, threshold: 0 },
    });
    const connection = await ourClient(url, { perMessageDeflate: { thresholdBytes: 0 } });
    expect(connection.extensions).toContain('client_max_window_bits=9');
    for (let i = 0; i < 6; i++)
      await echoViaOurs(connection, textOf(2_000 + 300 * i, 50 * i), false);
  });
});
