import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import {
  closedPort,
  closeHttpServer,
  listenOnLoopback,
  nextEvent,
  selfSignedCertificate,
  settle,
  startTcpServer,
  type TcpServer,
  waitFor,
} from '@wsgate/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connect,
  createServer,
  type ErrorCode,
  type HandshakeRequest,
  type ServerOptions,
  type WebSocketConnection,
  WebSocketServer,
  WsgateError,
} from '../../src/index.js';
import { computeAcceptKey } from '../../src/protocol/index.js';

const stops: Array<() => Promise<void>> = [];
const connections: WebSocketConnection[] = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.terminate();
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function echoServer(options: ServerOptions = {}): Promise<{
  server: WebSocketServer;
  port: number;
  requests: HandshakeRequest[];
}> {
  const server = await createServer({ port: 0, heartbeatIntervalMs: 0, ...options });
  stops.push(() => server.close({ timeoutMs: 500 }));
  const requests: HandshakeRequest[] = [];
  server.on('connection', (connection, request) => {
    requests.push(request);
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
  return { server, port: server.address()?.port ?? 0, requests };
}

/**
 * A raw TCP server that reads one request head and lets `answer` write whatever it wants, so
 * that the client meets every kind of broken server.
 */
async function cannedServer(answer: (head: string, socket: Socket) => void): Promise<TcpServer> {
  const server = await startTcpServer((socket) => {
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      answer(head, socket);
    };
    socket.on('data', onData);
  });
  stops.push(() => server.close());
  return server;
}

function acceptFor(head: string): string {
  const key = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(head)?.[1] ?? '';
  return computeAcceptKey(key);
}

function switching(head: string, extra = ''): string {
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(head)}\r\n${extra}\r\n`;
}

async function open(url: string, options: Parameters<typeof connect>[1] = {}) {
  const connection = await connect(url, options);
  connections.push(connection);
  return connection;
}

/** The WsgateError a connect() attempt rejected with. */
async function failure(url: string, options: Parameters<typeof connect>[1] = {}) {
  const outcome = await settle(connect(url, options));
  if (outcome.ok) {
    connections.push(outcome.value);
    throw new Error(`connect(${url}) succeeded`);
  }
  expect(outcome.error).toBeInstanceOf(WsgateError);
  return outcome.error as WsgateError;
}

function expectCode(error: WsgateError, code: ErrorCode): void {
  expect(error.code).toBe(code);
  expect(error.kind).toBe('client');
  expect(error.message.startsWith(`${code}: `)).toBe(true);
  expect(error.message).toContain('Fix: ');
}

describe('connect() to a wsgate server', () => {
  it('opens a connection and exchanges text and binary messages', async () => {
    const { port } = await echoServer();
    const connection = await open(`ws://127.0.0.1:${port}/`);
    expect(connection.readyState).toBe(1);
    expect(connection.extensions).toContain('permessage-deflate');
    const text = nextEvent<[unknown, boolean]>(connection, 'message');
    connection.send('ping me');
    expect(await text).toEqual(['ping me', false]);
    const binary = nextEvent<[unknown, boolean]>(connection, 'message');
    connection.send(new Uint8Array([9, 8, 7]));
    expect(await binary).toEqual([Buffer.from([9, 8, 7]), true]);
  });

  it('sends its origin, subprotocols and extra headers, and learns the chosen subprotocol', async () => {
    const { port, requests } = await echoServer({ subprotocols: ['chat.v2'] });
    const connection = await open(`http://127.0.0.1:${port}/room?id=3`, {
      origin: 'https://app.example',
      subprotocols: ['chat.v1', 'chat.v2'],
      headers: { Authorization: 'Bearer abc' },
    });
    expect(connection.protocol).toBe('chat.v2');
    expect(requests[0]?.url).toBe('/room?id=3');
    expect(requests[0]?.headers.origin).toBe('https://app.example');
    expect(requests[0]?.headers.authorization).toBe('Bearer abc');
    expect(requests[0]?.headers.host).toBe(`127.0.0.1:${port}`);
  });

  it('fails with 1010 WSG_EXTENSION_REQUIRED when permessage-deflate is required and refused', async () => {
    const { server, port } = await echoServer({ perMessageDeflate: false });
    const serverClosed = nextEvent<[WebSocketConnection]>(server, 'connection').then(([c]) =>
      nextEvent<[number]>(c, 'close'),
    );
    const connection = await open(`ws://127.0.0.1:${port}/`, { requirePerMessageDeflate: true });
    const [code, , error] = await nextEvent<[number, string, WsgateError | undefined]>(
      connection,
      'close',
    );
    expect(code).toBe(1010);
    expect(error?.code).toBe('WSG_EXTENSION_REQUIRED');
    expect((await serverClosed)[0]).toBe(1010);
  });

  it('closes with 1009 when the server sends a message over the client maxMessageBytes', async () => {
    const { server, port } = await echoServer({ perMessageDeflate: false });
    const serverClosed = nextEvent<[WebSocketConnection]>(server, 'connection').then(([c]) =>
      nextEvent<[number]>(c, 'close'),
    );
    const connection = await open(`ws://127.0.0.1:${port}/`, { maxMessageBytes: 1000 });
    const closed = nextEvent<[number, string, WsgateError | undefined]>(connection, 'close');
    connection.send(Buffer.alloc(900));
    connection.send(Buffer.alloc(1001));
    const [code, , error] = await closed;
    expect(code).toBe(1009);
    expect(error?.code).toBe('WSG_MESSAGE_TOO_BIG');
    expect((await serverClosed)[0]).toBe(1009);
  });
});

describe('connect() failures', () => {
  it('rejects a 404 with WSG_RESPONSE_NOT_FOUND naming the server code', async () => {
    const { port } = await echoServer({ path: '/ws' });
    const error = await failure(`ws://127.0.0.1:${port}/missing`);
    expectCode(error, 'WSG_RESPONSE_NOT_FOUND');
    expect(error.detail).toContain('404');
    expect(error.detail).toContain('WSG_PATH_NOT_FOUND');
  });

  it('rejects a 426 with WSG_RESPONSE_UPGRADE_REQUIRED naming the version the server speaks', async () => {
    const server = await cannedServer((_head, socket) =>
      socket.end(
        'HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 7\r\nContent-Length: 0\r\n\r\n',
      ),
    );
    const error = await failure(`ws://127.0.0.1:${server.port}/`);
    expectCode(error, 'WSG_RESPONSE_UPGRADE_REQUIRED');
    expect(error.detail).toContain('Sec-WebSocket-Version 7');
  });

  it('rejects a 200 with WSG_RESPONSE_NOT_UPGRADED', async () => {
    const server = await cannedServer((_head, socket) =>
      socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi'),
    );
    const error = await failure(`ws://127.0.0.1:${server.port}/`);
    expectCode(error, 'WSG_RESPONSE_NOT_UPGRADED');
    expect(error.detail).toContain('200');
  });

  it('rejects a 302 with WSG_RESPONSE_NOT_UPGRADED naming the Location', async () => {
    const server = await cannedServer((_head, socket) =>
      socket.end('HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n'),
    );
    const error = await failure(`ws://127.0.0.1:${server.port}/`);
    expectCode(error, 'WSG_RESPONSE_NOT_UPGRADED');
    expect(error.detail).toContain('Location: /elsewhere');
  });

  it('rejects a 500 with WSG_RESPONSE_REFUSED naming the server code', async () => {
    const { port } = await echoServer({
      verifyUpgrade: () => {
        throw new Error('hook bug');
      },
    });
    const error = await failure(`ws://127.0.0.1:${port}/`);
    expectCode(error, 'WSG_RESPONSE_REFUSED');
    expect(error.detail).toContain('500');
    expect(error.detail).toContain('WSG_HOOK_FAILED');
  });

  it('rejects a 101 with a wrong Sec-WebSocket-Accept with WSG_ACCEPT_MISMATCH', async () => {
    const server = await cannedServer((_head, socket) =>
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
      ),
    );
    const error = await failure(`ws://127.0.0.1:${server.port}/`);
    expectCode(error, 'WSG_ACCEPT_MISMATCH');
  });

  it('rejects a subprotocol that was not offered with WSG_RESPONSE_SUBPROTOCOL_UNOFFERED', async () => {
    const server = await cannedServer((head, socket) =>
      socket.write(switching(head, 'Sec-WebSocket-Protocol: evil\r\n')),
    );
    const error = await failure(`ws://127.0.0.1:${server.port}/`, { subprotocols: ['chat'] });
    expectCode(error, 'WSG_RESPONSE_SUBPROTOCOL_UNOFFERED');
    expect(error.detail).toContain('evil');
  });

  it('rejects an extension that was not offered with WSG_RESPONSE_EXTENSION_UNOFFERED', async () => {
    const server = await cannedServer((head, socket) =>
      socket.write(switching(head, 'Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n')),
    );
    const error = await failure(`ws://127.0.0.1:${server.port}/`);
    expectCode(error, 'WSG_RESPONSE_EXTENSION_UNOFFERED');
  });

  // RFC 7692 §7.1: the client fails the connection on any answer it did not allow.
  it.each([
    ['a window larger than the one asked for', 'permessage-deflate; server_max_window_bits=12'],
    [
      'a parameter twice',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    ],
    ['an unknown parameter', 'permessage-deflate; x_unknown'],
    ['a window size out of range', 'permessage-deflate; server_max_window_bits=7'],
    ['client_max_window_bits without a value', 'permessage-deflate; client_max_window_bits'],
    ['a value on a parameter that takes none', 'permessage-deflate; server_no_context_takeover=1'],
    ['permessage-deflate accepted twice', 'permessage-deflate, permessage-deflate'],
  ])(
    'rejects a permessage-deflate answer with %s with WSG_RESPONSE_EXTENSION_UNOFFERED',
    async (_name, answer) => {
      const server = await cannedServer((head, socket) =>
        socket.write(switching(head, `Sec-WebSocket-Extensions: ${answer}\r\n`)),
      );
      const error = await failure(`ws://127.0.0.1:${server.port}/`, {
        perMessageDeflate: { serverMaxWindowBits: 10 },
      });
      expectCode(error, 'WSG_RESPONSE_EXTENSION_UNOFFERED');
    },
  );

  it('rejects an answer that is not HTTP with WSG_RESPONSE_MALFORMED', async () => {
    const server = await cannedServer((_head, socket) =>
      socket.write('SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n\r\n'),
    );
    const error = await failure(`ws://127.0.0.1:${server.port}/`);
    expectCode(error, 'WSG_RESPONSE_MALFORMED');
  });

  it('rejects a port nobody listens on with WSG_CONNECT_REFUSED', async () => {
    const port = await closedPort();
    const error = await failure(`ws://127.0.0.1:${port}/`);
    expectCode(error, 'WSG_CONNECT_REFUSED');
    expect(error.cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('rejects a name that does not resolve with WSG_DNS_FAILED', async () => {
    const asked: string[] = [];
    // Never a real resolver: the lookup fails the way getaddrinfo does for an unknown name.
    const lookup = ((hostname: string, _options: unknown, callback: (error: Error) => void) => {
      asked.push(hostname);
      const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      error.code = 'ENOTFOUND';
      error.syscall = 'getaddrinfo';
      process.nextTick(callback, error);
    }) as unknown as LookupFunction;
    const error = await failure('ws://no-such-host.invalid:8080/', { lookup });
    expectCode(error, 'WSG_DNS_FAILED');
    expect(asked).toEqual(['no-such-host.invalid']);
  });

  it('rejects a server that never answers with WSG_CONNECT_TIMEOUT within handshakeTimeoutMs', async () => {
    const server = await cannedServer(() => {});
    const started = Date.now();
    const error = await failure(`ws://127.0.0.1:${server.port}/`, { handshakeTimeoutMs: 300 });
    const elapsed = Date.now() - started;
    expectCode(error, 'WSG_CONNECT_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(900);
    // The abandoned socket is closed, not left to the server.
    await waitFor(() => server.sockets.size === 0, { what: 'the client to close its socket' });
  });

  it('rejects a server that closes during the handshake with WSG_CONNECTION_RESET', async () => {
    const server = await cannedServer((_head, socket) => socket.destroy());
    const error = await failure(`ws://127.0.0.1:${server.port}/`);
    expectCode(error, 'WSG_CONNECTION_RESET');
  });

  it('rejects a server that closes in the middle of its answer with WSG_CONNECTION_RESET', async () => {
    const server = await cannedServer((_head, socket) =>
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: webso'),
    );
    const error = await failure(`ws://127.0.0.1:${server.port}/`);
    expectCode(error, 'WSG_CONNECTION_RESET');
  });

  it.each([
    ['ftp://127.0.0.1/', 'scheme ftp:'],
    ['not a url', 'cannot be parsed'],
    ['ws://127.0.0.1/#section', 'fragment'],
  ])('rejects %s with WSG_URL_INVALID', async (url, detail) => {
    const error = await failure(url);
    expectCode(error, 'WSG_URL_INVALID');
    expect(error.detail).toContain(detail);
  });
});

describe('connect() against a hand-written server', () => {
  it('reads a frame sent in the same TCP write as the 101', async () => {
    const server = await cannedServer((head, socket) =>
      socket.write(
        Buffer.concat([
          Buffer.from(switching(head)),
          Buffer.from([0x81, 0x05]),
          Buffer.from('early'),
        ]),
      ),
    );
    const connection = await connect(`ws://127.0.0.1:${server.port}/`, {
      perMessageDeflate: false,
    });
    connections.push(connection);
    const [data] = await nextEvent<[unknown]>(connection, 'message');
    expect(data).toBe('early');
  });

  it('fails with 1002 WSG_FRAME_MASKED when the server masks a frame', async () => {
    let received = Buffer.alloc(0);
    const server = await cannedServer((head, socket) => {
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
      });
      socket.write(
        Buffer.concat([Buffer.from(switching(head)), Buffer.from([0x81, 0x80, 1, 2, 3, 4])]),
      );
    });
    const connection = await open(`ws://127.0.0.1:${server.port}/`, { perMessageDeflate: false });
    const [code, , error] = await nextEvent<[number, string, WsgateError | undefined]>(
      connection,
      'close',
    );
    expect(code).toBe(1002);
    expect(error?.code).toBe('WSG_FRAME_MASKED');
    // The client's close frame is masked, opcode 8, with code 1002 (RFC 6455 §5.1, §7.4.1).
    await waitFor(() => received.length >= 8);
    expect(received[0]).toBe(0x88);
    expect((received[1] ?? 0) & 0x80).toBe(0x80);
    const mask = received.subarray(2, 6);
    const code0 = (received[6] ?? 0) ^ (mask[0] ?? 0);
    const code1 = (received[7] ?? 0) ^ (mask[1] ?? 0);
    expect((code0 << 8) | code1).toBe(1002);
  });

  it('drops a server that stays silent with WSG_HEARTBEAT_TIMEOUT when heartbeatIntervalMs is set', async () => {
    const server = await cannedServer((head, socket) => socket.write(switching(head)));
    const connection = await open(`ws://127.0.0.1:${server.port}/`, {
      perMessageDeflate: false,
      heartbeatIntervalMs: 100,
    });
    const [code, , error] = await nextEvent<[number, string, WsgateError | undefined]>(
      connection,
      'close',
      3_000,
    );
    expect(code).toBe(1006);
    expect(error?.code).toBe('WSG_HEARTBEAT_TIMEOUT');
  });
});

describe('connect() over TLS', () => {
  let tls: { cert: string; key: string };
  let https: HttpsServer;
  let wss: WebSocketServer;
  let port: number;

  beforeAll(async () => {
    tls = selfSignedCertificate();
    https = createHttpsServer({ cert: tls.cert, key: tls.key }, (_request, response) =>
      response.end('https'),
    );
    wss = new WebSocketServer({ heartbeatIntervalMs: 0 });
    wss.on('connection', (connection) => {
      connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
    });
    wss.attach(https);
    port = await listenOnLoopback(https);
  });

  afterAll(async () => {
    await wss.close({ timeoutMs: 500 });
    await closeHttpServer(https);
  });

  it('rejects a self-signed certificate with WSG_TLS_FAILED', async () => {
    const error = await failure(`wss://127.0.0.1:${port}/`);
    expectCode(error, 'WSG_TLS_FAILED');
    expect(String((error.cause as NodeJS.ErrnoException | undefined)?.code)).toMatch(/SELF_SIGNED/);
  });

  it('connects and echoes when the certificate is trusted with ca', async () => {
    const connection = await open(`wss://127.0.0.1:${port}/`, { ca: tls.cert });
    const answer = nextEvent<[unknown]>(connection, 'message');
    connection.send('over tls');
    expect((await answer)[0]).toBe('over tls');
  });

  it('checks the host name against the certificate when a name is used', async () => {
    // The certificate names localhost; the lookup pins that name to 127.0.0.1 without DNS.
    const lookup = ((
      _hostname: string,
      options: { all?: boolean },
      callback: (
        error: Error | null,
        address: string | Array<{ address: string; family: number }>,
        family?: number,
      ) => void,
    ) => {
      if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    }) as unknown as LookupFunction;
    const connection = await open(`wss://localhost:${port}/`, { ca: tls.cert, lookup });
    expect(connection.readyState).toBe(1);
    const error = await failure(`wss://localhost:${port}/`, {
      ca: tls.cert,
      lookup,
      servername: 'other.example',
    });
    expectCode(error, 'WSG_TLS_FAILED');
  });

  it('fails a plain ws:// connection to a TLS port instead of hanging', async () => {
    const error = await failure(`ws://127.0.0.1:${port}/`, { handshakeTimeoutMs: 2_000 });
    expect(['WSG_RESPONSE_MALFORMED', 'WSG_CONNECTION_RESET', 'WSG_RESPONSE_REFUSED']).toContain(
      error.code,
    );
  });
});
