import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { constants, inflateRawSync } from 'node:zlib';
import { clientFrame } from '@wsgate/test-kit/wire';
import { afterEach, describe, expect, test } from 'vitest';
import { connect, type WebSocketConnection, WebSocketServer } from '../../src/index.js';
import {
  type H2Setup,
  openSession,
  openStreamSocket,
  startH2,
  testCertificate,
} from './harness.js';

const TEXT = 0x1;
const BINARY = 0x2;

let setup: H2Setup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

function echo(connection: WebSocketConnection): void {
  connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
}

describe('WebSockets over HTTP/2 (RFC 8441) on an attached http2 server', () => {
  test('an extended CONNECT gets 200 without Sec-WebSocket-Accept, and text and binary echo', async () => {
    setup = await startH2({ path: '/echo', perMessageDeflate: false });
    const opened: WebSocketConnection[] = [];
    setup.wss.on('connection', (connection, request) => {
      expect(request.transport).toBe('h2');
      expect(request.path).toBe('/echo');
      expect(request.headers.host).toBe('127.0.0.1');
      opened.push(connection);
      echo(connection);
    });
    const session = await openSession(setup.port);
    const { socket, response } = await openStreamSocket(session, '/echo');
    expect(response[':status']).toBe(200);
    expect(response['sec-websocket-accept']).toBeUndefined();
    socket.send(TEXT, 'héllo');
    const text = await socket.nextMessage();
    expect(text.opcode).toBe(TEXT);
    expect(text.payload.toString('utf8')).toBe('héllo');
    // Frames from the server are unmasked, as over HTTP/1.1 (RFC 8441 §5: RFC 6455 framing).
    expect(text.frames[0]?.masked).toBe(false);
    const bytes = randomBytes(300);
    socket.send(BINARY, bytes);
    const binary = await socket.nextMessage();
    expect(binary.opcode).toBe(BINARY);
    expect(binary.payload.equals(bytes)).toBe(true);
    expect(opened[0]?.transport).toBe('h2');
    expect(opened[0]?.remoteAddress).toBe('127.0.0.1');
    session.close();
  });

  test.each([
    ['1 MiB', 1024 * 1024],
    ['16 MiB', 16 * 1024 * 1024],
  ])(
    'a %s binary message echoes whole, under HTTP/2 flow control',
    async (_name, size) => {
      setup = await startH2({ path: '/echo', perMessageDeflate: false, maxMessageBytes: 32 << 20 });
      setup.wss.on('connection', echo);
      const session = await openSession(setup.port);
      const { socket } = await openStreamSocket(session, '/echo');
      const bytes = randomBytes(size);
      socket.send(BINARY, bytes);
      const message = await socket.nextMessage();
      expect(message.payload.length).toBe(size);
      expect(message.payload.equals(bytes)).toBe(true);
      session.close();
    },
    30_000,
  );

  test('permessage-deflate is negotiated in the 200 and messages are compressed (RSV1)', async () => {
    setup = await startH2({ path: '/echo' });
    const received = new Promise<unknown>((resolve) =>
      setup?.wss.on('connection', (connection) => {
        connection.once('message', resolve);
        connection.send('a'.repeat(4096));
      }),
    );
    const session = await openSession(setup.port);
    const { socket, response } = await openStreamSocket(session, '/echo', {
      'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
    });
    expect(response['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
    const message = await socket.nextMessage();
    expect(message.frames[0]?.rsv1).toBe(true);
    expect(message.payload.length).toBeLessThan(100);
    const inflated = inflateRawSync(
      Buffer.concat([message.payload, Buffer.from('0000ffff', 'hex')]),
      {
        finishFlush: constants.Z_SYNC_FLUSH,
      },
    );
    expect(inflated.toString()).toBe('a'.repeat(4096));
    // "Hello" deflated, as in RFC 7692 §7.2.3.1.
    socket.stream.write(
      clientFrame(TEXT, Buffer.from('f248cdc9c90700', 'hex'), { rsv1: true, mask: true }),
    );
    expect(await received).toBe('Hello');
    session.close();
  });

  test('several WebSockets share one session, each on its own stream', async () => {
    setup = await startH2({ path: '/echo', perMessageDeflate: false });
    setup.wss.on('connection', echo);
    const session = await openSession(setup.port);
    const sockets = await Promise.all(
      [0, 1, 2, 3, 4].map(() => openStreamSocket(session, '/echo')),
    );
    expect(setup.wss.clients.size).toBe(5);
    for (const [index, { socket }] of sockets.entries()) socket.send(TEXT, `message ${index}`);
    const replies = await Promise.all(sockets.map(({ socket }) => socket.nextMessage()));
    expect(replies.map((reply) => reply.payload.toString())).toEqual([
      'message 0',
      'message 1',
      'message 2',
      'message 3',
      'message 4',
    ]);
    expect(new Set(sockets.map(({ socket }) => socket.stream.id)).size).toBe(5);
    session.close();
  });

  test('a close handshake ends the stream with END_STREAM, and the connection closes with the code', async () => {
    setup = await startH2({ path: '/echo' });
    const closed = new Promise<[number, string]>((resolve) =>
      setup?.wss.on('connection', (connection) =>
        connection.on('close', (code, reason) => resolve([code, reason])),
      ),
    );
    const session = await openSession(setup.port);
    const { socket } = await openStreamSocket(session, '/echo');
    socket.send(0x8, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]));
    const answer = await socket.nextFrame();
    expect(answer.opcode).toBe(0x8);
    expect(answer.payload.readUInt16BE(0)).toBe(1000);
    socket.stream.end();
    await socket.closed();
    expect(socket.ended).toBe(true);
    expect(socket.stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    expect(await closed).toEqual([1000, 'bye']);
    session.close();
  });

  test('one port serves HTTP/1.1 upgrades and HTTP/2 streams (allowHTTP1)', async () => {
    setup = await startH2({ path: '/echo' });
    const transports: string[] = [];
    setup.wss.on('connection', (connection) => {
      transports.push(connection.transport);
      echo(connection);
    });
    const client = await connect(`wss://127.0.0.1:${setup.port}/echo`, {
      ca: testCertificate().cert,
    });
    const reply = new Promise((resolve) => client.once('message', resolve));
    client.send('over http/1.1');
    expect(await reply).toBe('over http/1.1');
    expect(client.transport).toBe('http/1.1');
    const session = await openSession(setup.port);
    const { socket } = await openStreamSocket(session, '/echo');
    socket.send(TEXT, 'over h2');
    expect((await socket.nextMessage()).payload.toString()).toBe('over h2');
    expect(transports).toEqual(['http/1.1', 'h2']);
    client.terminate();
    session.close();
  });

  test('cleartext h2c (http2.createServer) serves WebSockets over HTTP/2 too', async () => {
    const server = http2.createServer();
    const wss = new WebSocketServer({ path: '/echo' });
    wss.attach(server);
    wss.on('connection', echo);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const session = http2.connect(`http://127.0.0.1:${port}`);
      const settings = await new Promise<http2.Settings>((resolve) =>
        session.once('remoteSettings', resolve),
      );
      expect(settings.enableConnectProtocol).toBe(true);
      const { socket } = await openStreamSocket(session, '/echo', { ':scheme': 'http' });
      socket.send(TEXT, 'h2c');
      expect((await socket.nextMessage()).payload.toString()).toBe('h2c');
      session.close();
    } finally {
      await wss.close({ timeoutMs: 1_000 });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('SETTINGS_ENABLE_CONNECT_PROTOCOL', () => {
  test('is advertised by an http2 server with a WebSocketServer attached', async () => {
    setup = await startH2({ path: '/echo' });
    const session = await openSession(setup.port);
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
    session.close();
  });

  test('is not advertised by an http2 server without one, nor after detaching', async () => {
    setup = await startH2({ path: '/echo' }, false);
    const plain = await openSession(setup.port);
    expect(plain.remoteSettings.enableConnectProtocol).toBe(false);
    plain.close();
    const detach = setup.wss.attach(setup.http2);
    const attached = await openSession(setup.port);
    expect(attached.remoteSettings.enableConnectProtocol).toBe(true);
    attached.close();
    detach();
    const detached = await openSession(setup.port);
    expect(detached.remoteSettings.enableConnectProtocol).toBe(false);
    detached.close();
  });
});
