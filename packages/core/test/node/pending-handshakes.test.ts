import { createServer as createHttpServer } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import {
  closeHttpServer,
  listenOnLoopback,
  openRawWebSocket,
  openWs,
  waitFor,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ServerOptions, WebSocketServer } from '../../src/index.js';

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A client that connects and never sends a byte, keeping what the server answers. */
interface SilentSocket {
  readonly socket: Socket;
  readonly received: () => string;
  readonly closed: () => boolean;
}

async function openSilent(port: number): Promise<SilentSocket> {
  const socket = connectTcp(port, '127.0.0.1');
  let received = '';
  let closed = false;
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
  });
  stops.push(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return { socket, received: () => received, closed: () => closed };
}

async function standalone(options: ServerOptions): Promise<number> {
  const server = await createServer({ port: 0, heartbeatIntervalMs: 0, ...options });
  server.on('connection', (connection) =>
    connection.on('message', (data) => connection.send(data)),
  );
  stops.push(() => server.close({ timeoutMs: 200 }));
  return server.address()?.port ?? 0;
}

async function attached(options: ServerOptions): Promise<number> {
  const http = createHttpServer((_request, response) => response.end('plain http'));
  const server = new WebSocketServer({ heartbeatIntervalMs: 0, ...options });
  server.attach(http);
  server.on('connection', (connection) =>
    connection.on('message', (data) => connection.send(data)),
  );
  const port = await listenOnLoopback(http);
  stops.push(async () => {
    await server.close({ timeoutMs: 200 });
    await closeHttpServer(http);
  });
  return port;
}

for (const [mode, start] of [
  ['standalone', standalone],
  ['attached', attached],
] as const) {
  describe(`${mode} server past maxPendingHandshakes`, () => {
    it('drops the oldest silent sockets with 408 and keeps serving established and new clients', async () => {
      const port = await start({ maxPendingHandshakes: 4, handshakeTimeoutMs: 60_000 });
      const established = await openWs(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
      stops.push(() => established.terminate());
      const silent: SilentSocket[] = [];
      for (let i = 0; i < 7; i++) silent.push(await openSilent(port));
      // Seven silent sockets, room for four: the three oldest go, the four newest stay.
      await waitFor(() => silent.slice(0, 3).every((client) => client.closed()), {
        what: 'the three oldest silent sockets closed',
      });
      for (const client of silent.slice(0, 3)) {
        expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
        expect(client.received()).toContain('WSG_HANDSHAKE_TIMEOUT');
      }
      expect(silent.slice(3).map((client) => client.closed())).toEqual([
        false,
        false,
        false,
        false,
      ]);

      const honest = await openRawWebSocket(port, { path: '/' });
      stops.push(() => honest.destroy());
      expect(honest.response.status).toBe(101);
      // The honest handshake took a place: the oldest silent socket left made room for it.
      await waitFor(() => silent[3]?.closed() === true, {
        what: 'the fourth silent socket closed',
      });
      expect(silent.slice(4).map((client) => client.closed())).toEqual([false, false, false]);

      const echoed = wsNextMessage(established);
      established.send('still served');
      expect((await echoed).data.toString()).toBe('still served');
    });
  });
}
