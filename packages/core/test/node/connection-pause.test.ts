import { createServer as createHttpServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  closeHttpServer,
  delay,
  listenOnLoopback,
  openRawWebSocket,
  type RawWebSocket,
  waitFor,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type WebSocketConnection, WebSocketServer } from '../../src/index.js';
import { encodeFrame } from '../../src/protocol/index.js';

interface Served {
  readonly port: number;
  readonly sockets: Duplex[];
  readonly connections: WebSocketConnection[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** An http server whose upgrade sockets the test can see (a paused socket is the point). */
async function serve(onConnection: (connection: WebSocketConnection) => void): Promise<Served> {
  const wss = new WebSocketServer({ perMessageDeflate: false, heartbeatIntervalMs: 0 });
  const http: Server = createHttpServer();
  const sockets: Duplex[] = [];
  const connections: WebSocketConnection[] = [];
  http.on('upgrade', (request, socket, head) => {
    sockets.push(socket);
    void wss.handleUpgrade(request, socket, head);
  });
  wss.on('connection', (connection) => {
    connections.push(connection);
    onConnection(connection);
  });
  const port = await listenOnLoopback(http);
  cleanups.push(async () => {
    await wss.close({ timeoutMs: 200 });
    http.closeAllConnections();
    await closeHttpServer(http);
  });
  return { port, sockets, connections };
}

async function client(port: number): Promise<RawWebSocket> {
  const raw = await openRawWebSocket(port);
  cleanups.push(async () => raw.destroy());
  return raw;
}

function textFrame(text: string): Buffer {
  return Buffer.concat(encodeFrame(1, Buffer.from(text), { fin: true, rsv1: false, mask: true }));
}

function texts(raw: RawWebSocket): string[] {
  return raw.frames.filter((f) => f.opcode === 1).map((f) => f.payload.toString());
}

describe('pausing a connection holds its messages in the session', () => {
  it('keeps the socket reading while nothing arrives, stops it when bytes arrive, resumes in order', async () => {
    const received: string[] = [];
    const served = await serve((connection) => {
      connection.on('message', (data) => {
        received.push(String(data));
        if (received.length === 1) connection.pause();
      });
    });
    const raw = await client(served.port);
    raw.sendRaw(textFrame('first'));
    await waitFor(() => received.length === 1, { what: 'the first message' });
    const connection = served.connections[0] as WebSocketConnection;
    const socket = served.sockets[0] as Duplex;
    expect(connection.isPaused).toBe(true);
    // No system call for a pause that nothing tests: the socket still flows.
    expect(socket.isPaused()).toBe(false);
    raw.sendRaw(textFrame('second'));
    await waitFor(() => socket.isPaused(), { what: 'the socket to stop reading' });
    await delay(20);
    expect(received).toEqual(['first']);
    connection.resume();
    await waitFor(() => received.length === 2, { what: 'the held message' });
    expect(received).toEqual(['first', 'second']);
    expect(socket.isPaused()).toBe(false);
  });

  it('answers messages held while paused before the end of the stream that followed them', async () => {
    const served = await serve((connection) => {
      connection.on('message', (data) => {
        connection.pause();
        setTimeout(() => {
          connection.send(`echo ${String(data)}`);
          connection.resume();
        }, 30);
      });
    });
    const raw = await client(served.port);
    // One message, then FIN while its handler is still at work (nothing held, socket flowing).
    raw.sendRaw(textFrame('one'));
    await waitFor(() => served.connections[0]?.isPaused ?? false, { what: 'the pause' });
    raw.socket.end();
    await raw.waitForClose();
    expect(texts(raw)).toEqual(['echo one']);
  });

  it('does so on a standalone server too, whose sockets Node would otherwise end with the stream', async () => {
    const server = await createServer({
      port: 0,
      perMessageDeflate: false,
      heartbeatIntervalMs: 0,
    });
    cleanups.push(() => server.close({ timeoutMs: 200 }));
    let paused = false;
    server.on('connection', (connection) => {
      connection.on('message', (data) => {
        connection.pause();
        paused = true;
        setTimeout(() => {
          connection.send(`echo ${String(data)}`);
          connection.resume();
        }, 30);
      });
    });
    const raw = await client(server.address()?.port ?? 0);
    raw.sendRaw(textFrame('one'));
    await waitFor(() => paused, { what: 'the pause' });
    raw.socket.end();
    await raw.waitForClose();
    expect(texts(raw)).toEqual(['echo one']);
  });

  it('answers every message of one read before a close frame in the same read', async () => {
    const served = await serve((connection) => {
      connection.on('message', (data) => {
        connection.pause();
        setTimeout(() => {
          connection.send(`echo ${String(data)}`);
          connection.resume();
        }, 10);
      });
    });
    const raw = await client(served.port);
    const close = Buffer.concat(
      encodeFrame(8, Buffer.from([0x03, 0xe8]), { fin: true, rsv1: false, mask: true }),
    );
    raw.sendRaw(Buffer.concat([textFrame('a'), textFrame('b'), textFrame('c'), close]));
    await raw.waitForClose();
    expect(texts(raw)).toEqual(['echo a', 'echo b', 'echo c']);
    expect(raw.closeFrame()?.code).toBe(1000);
  });
});
