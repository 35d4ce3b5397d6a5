import { randomBytes } from 'node:crypto';
import {
  clientFrameHeader,
  openRawWebSocket,
  openWs,
  wsClosed,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type WebSocketServer } from '../../src/index.js';

const servers: WebSocketServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close({ timeoutMs: 500 });
});

describe('RFC 7692 the message limit applies to the inflated size', () => {
  // DEFLATE grows incompressible data (5 bytes per stored block), so the compressed bytes of a
  // message within the limit can be a little over it; the inflated size decides.
  it('accepts an incompressible message of exactly maxMessageBytes that the client compressed', async () => {
    const limit = 1024 * 1024;
    const server = await createServer({ port: 0, maxMessageBytes: limit, heartbeatIntervalMs: 0 });
    servers.push(server);
    server.on('connection', (connection) => {
      connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
    });
    const socket = await openWs(`ws://127.0.0.1:${server.address()?.port}/`, {
      perMessageDeflate: { threshold: 0 },
    });
    const message = randomBytes(limit);
    const closed = wsClosed(socket, 10_000);
    const answer = wsNextMessage(socket, 10_000);
    socket.send(message);
    const outcome = await Promise.race([
      answer.then(({ data }) => ({ echoed: data.equals(message) })),
      closed.then(({ code }) => ({ closedWith: code })),
    ]);
    socket.terminate();
    expect(outcome).toEqual({ echoed: true });
  });

  // What deflaters really emit for incompressible data stays below one seventh more (stored
  // blocks, RFC 1951 §3.2.4; fixed Huffman codes, §3.2.6); more is refused from the header. A
  // payload within the bound is read whole: zeros are invalid DEFLATE data (1007).
  it.each([
    [1024 * 1024 + Math.ceil((1024 * 1024) / 7) + 1024, 1007],
    [1024 * 1024 + Math.ceil((1024 * 1024) / 7) + 1025, 1009],
  ])(
    'reads a compressed frame of %i bytes for a limit of 1 MiB, and closes with %i',
    async (length, code) => {
      const limit = 1024 * 1024;
      const server = await createServer({
        port: 0,
        maxMessageBytes: limit,
        heartbeatIntervalMs: 0,
      });
      servers.push(server);
      const raw = await openRawWebSocket(server.address()?.port as number, {
        headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
      });
      raw.sendRaw(clientFrameHeader(2, length, { rsv1: true }));
      if (code === 1007) raw.sendRaw(Buffer.alloc(length));
      expect(await raw.waitForClose(5_000)).toBe(true);
      expect(raw.closeFrame()?.code).toBe(code);
      raw.destroy();
    },
  );
});
