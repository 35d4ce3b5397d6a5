import type { AddressInfo } from 'node:net';
import { createServer } from '@wsgate/core';
import { WebSocketServer } from 'ws';

// Echo servers to run the suite against in-process: ours, and `ws` for comparison. Both echo
// every message with its type, have permessage-deflate on and a 16 MiB message limit, as the
// demo contract's /echo does.

export interface EchoServer {
  readonly name: string;
  readonly url: string;
  close(): Promise<void>;
}

export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

export async function startWsgateEcho(maxMessageBytes = DEFAULT_MAX_PAYLOAD): Promise<EchoServer> {
  const server = await createServer({
    port: 0,
    host: '127.0.0.1',
    maxMessageBytes,
    textAs: 'buffer',
  });
  server.on('connection', (connection) => {
    connection.on('message', (data, isBinary) => {
      connection.send(data, { binary: isBinary });
    });
  });
  const address = server.address() as AddressInfo;
  return {
    name: 'wsgate',
    url: `ws://127.0.0.1:${address.port}/`,
    close: () => server.close({ timeoutMs: 1_000 }),
  };
}

export async function startWsEcho(maxMessageBytes = DEFAULT_MAX_PAYLOAD): Promise<EchoServer> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: true,
    maxPayload: maxMessageBytes,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.on('connection', (socket) => {
    // ws reports a peer's protocol error as an 'error' event after failing the connection.
    socket.on('error', () => {});
    socket.on('message', (data, isBinary) => {
      socket.send(data as Buffer, { binary: isBinary });
    });
  });
  const address = server.address() as AddressInfo;
  return {
    name: 'ws',
    url: `ws://127.0.0.1:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
