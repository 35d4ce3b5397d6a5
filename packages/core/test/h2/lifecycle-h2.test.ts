import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import tls from 'node:tls';
import { decodeFrames } from '@wsgate/test-kit/wire';
import { afterEach, describe, expect, test } from 'vitest';
import type { WebSocketConnection, WsgateError } from '../../src/index.js';
import {
  type H2Setup,
  openSession,
  openStreamSocket,
  startH2,
  testCertificate,
} from './harness.js';

const BINARY = 0x2;

let setup: H2Setup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

function nextConnection(h2: H2Setup): Promise<WebSocketConnection> {
  return new Promise((resolve) => h2.wss.once('connection', resolve));
}

function closeOf(
  connection: WebSocketConnection,
): Promise<[number, string, WsgateError | undefined]> {
  return new Promise((resolve) =>
    connection.once('close', (code, reason, error) => resolve([code, reason, error])),
  );
}

/** Everything the server sends after the 101 of an HTTP/1.1 upgrade over TLS, until it closes. */
function http1Bytes(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ca: testCertificate().cert,
      ALPNProtocols: ['http/1.1'],
    });
    const chunks: Buffer[] = [];
    socket.on('secureConnect', () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const headEnd = all.indexOf('\r\n\r\n');
      expect(all.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
      resolve(all.subarray(headEnd + 4));
    });
  });
}

describe('an HTTP/2 WebSocket stream over its life', () => {
  test('a stream reset in the middle of a message closes the connection with 1006; the server serves on', async () => {
    setup = await startH2({ path: '/echo', perMessageDeflate: false });
    const opened = nextConnection(setup);
    const session = await openSession(setup.port);
    const { socket } = await openStreamSocket(session, '/echo');
    const connection = await opened;
    const closed = closeOf(connection);
    const messages: unknown[] = [];
    connection.on('message', (data) => messages.push(data));
    // The first fragment of a message, then RST_STREAM (CANCEL) instead of the rest.
    socket.send(BINARY, randomBytes(1000), false);
    socket.stream.close(http2.constants.NGHTTP2_CANCEL);
    const [code] = await closed;
    expect(code).toBe(1006);
    expect(messages).toEqual([]);
    expect(setup.wss.clients.size).toBe(0);
    // The session and the server go on: another WebSocket on the same session echoes.
    setup.wss.on('connection', (next) => next.on('message', (data) => next.send(data)));
    const { socket: again } = await openStreamSocket(session, '/echo');
    again.send(0x1, 'still here');
    expect((await again.nextMessage()).payload.toString()).toBe('still here');
    session.close();
  });

  test('terminate() resets the stream with RST_STREAM CANCEL, and the client sees it closed', async () => {
    setup = await startH2({ path: '/echo' });
    const opened = nextConnection(setup);
    const session = await openSession(setup.port);
    const { socket } = await openStreamSocket(session, '/echo');
    (await opened).terminate();
    await socket.closed();
    expect(socket.stream.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
    session.close();
  });

  test('shutdown closes each WebSocket with 1001, then sends GOAWAY on its session', async () => {
    setup = await startH2({ path: '/echo' });
    const opened = nextConnection(setup);
    const session = await openSession(setup.port);
    const goaway = new Promise<number>((resolve) =>
      session.once('goaway', (code) => resolve(code)),
    );
    const { socket } = await openStreamSocket(session, '/echo');
    const connection = await opened;
    const closed = closeOf(connection);
    const shutdown = setup.wss.close({ timeoutMs: 2_000 });
    const closeFrame = await socket.nextFrame();
    expect(closeFrame.opcode).toBe(0x8);
    expect(closeFrame.payload.readUInt16BE(0)).toBe(1001);
    // The client answers the close frame and ends its side (RFC 8441 §5: END_STREAM).
    socket.send(0x8, closeFrame.payload.subarray(0, 2));
    socket.stream.end();
    expect((await closed)[0]).toBe(1001);
    await shutdown;
    expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
  });

  test('the frames a connection sends are byte for byte the same over HTTP/2 and HTTP/1.1', async () => {
    setup = await startH2({ path: '/script', perMessageDeflate: false, closeTimeoutMs: 100 });
    const payload = randomBytes(70_000);
    setup.wss.on('connection', (connection) => {
      connection.send('hello');
      connection.send(payload);
      connection.ping('p');
      connection.close(1000, 'done');
    });
    const overHttp1 = await http1Bytes(setup.port, '/script');
    const session = await openSession(setup.port);
    const { socket } = await openStreamSocket(session, '/script');
    const chunks: Buffer[] = [];
    socket.stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise<void>((resolve) => socket.stream.once('end', () => resolve()));
    socket.stream.end();
    const overH2 = Buffer.concat(chunks);
    expect(overH2.equals(overHttp1)).toBe(true);
    const frames = decodeFrames(overH2);
    expect(frames.map((frame) => frame.opcode)).toEqual([0x1, 0x2, 0x9, 0x8]);
    expect(frames[1]?.payload.equals(payload)).toBe(true);
    session.close();
  });
});
