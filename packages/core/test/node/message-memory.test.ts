import { constants, deflateRawSync } from 'node:zlib';
import {
  clientFrame,
  openRawWebSocket,
  type RawWebSocket,
  randomBytes,
  seededRandom,
  waitFor,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type WebSocketServer } from '../../src/index.js';

// An application may send or store `message.buffer` (the whole ArrayBuffer), not only the view:
// what lies outside the view must be nothing (an exact buffer) or zeros, never frame headers,
// other messages or old bytes of Buffer.allocUnsafe's pool.

const servers: WebSocketServer[] = [];
const sockets: RawWebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await server.close({ timeoutMs: 500 });
});

interface Received {
  readonly kind: 'message' | 'ping';
  readonly data: Buffer;
}

/** Bytes of `view`'s ArrayBuffer outside the view that are not zero. */
function bytesOutside(view: Uint8Array): number {
  const whole = new Uint8Array(view.buffer);
  let count = 0;
  for (let i = 0; i < view.byteOffset; i++) if (whole[i] !== 0) count++;
  for (let i = view.byteOffset + view.byteLength; i < whole.length; i++)
    if (whole[i] !== 0) count++;
  return count;
}

async function serve(): Promise<{
  received: Received[];
  open: (after?: Uint8Array, extensions?: string) => Promise<RawWebSocket>;
}> {
  const server = await createServer({ port: 0, textAs: 'buffer', heartbeatIntervalMs: 0 });
  servers.push(server);
  const received: Received[] = [];
  server.on('connection', (connection) => {
    connection.on('message', (data) => received.push({ kind: 'message', data: data as Buffer }));
    connection.on('ping', (data) => received.push({ kind: 'ping', data }));
  });
  const port = server.address()?.port as number;
  return {
    received,
    open: async (after?: Uint8Array, extensions?: string) => {
      const socket = await openRawWebSocket(port, {
        ...(after === undefined ? {} : { after }),
        ...(extensions === undefined
          ? {}
          : { headers: { 'Sec-WebSocket-Extensions': extensions } }),
      });
      sockets.push(socket);
      return socket;
    },
  };
}

const random = seededRandom(20_101);
const SIZES = [1, 32, 125, 126, 4_000, 16 * 1024, 20_101, 70_000];

function expectNothingElse(received: readonly Received[], count: number): void {
  expect(received).toHaveLength(count);
  for (const { kind, data } of received) {
    expect(bytesOutside(data), `${kind} of ${data.length} bytes in ${data.buffer.byteLength}`).toBe(
      0,
    );
  }
}

describe('received messages hold nothing but themselves (or zeros) in their ArrayBuffer', () => {
  it.each(SIZES)('a binary message of %i bytes in its own TCP write', async (size) => {
    const { received, open } = await serve();
    const socket = await open();
    socket.sendRaw(clientFrame(2, randomBytes(random, size)));
    await waitFor(() => received.length === 1, { what: 'the message' });
    expectNothingElse(received, 1);
  });

  it('messages of every size coalesced in one TCP write, text and binary, with a ping between', async () => {
    const { received, open } = await serve();
    const socket = await open();
    const frames: Buffer[] = [];
    for (const size of SIZES) {
      frames.push(clientFrame(2, randomBytes(random, size)));
      frames.push(clientFrame(1, 'é'.repeat(size >> 1)));
    }
    frames.push(clientFrame(9, 'ping-in-the-middle'));
    socket.sendRaw(Buffer.concat(frames));
    await waitFor(() => received.length === SIZES.length * 2 + 1, { what: 'every message' });
    expectNothingElse(received, SIZES.length * 2 + 1);
  });

  it('a message sent in the same TCP write as the handshake', async () => {
    const { received, open } = await serve();
    await open(clientFrame(2, randomBytes(random, 100)));
    await waitFor(() => received.length === 1, { what: 'the message' });
    expectNothingElse(received, 1);
  });

  it.each([
    [20_101, 1_000],
    [20_101, 100],
    [70_000, 333],
  ])('a message of %i bytes in fragments of %i bytes, in one TCP write', async (size, fragment) => {
    const { received, open } = await serve();
    const socket = await open();
    const payload = randomBytes(random, size);
    const frames: Buffer[] = [];
    for (let offset = 0; offset < size; offset += fragment) {
      const piece = payload.subarray(offset, offset + fragment);
      frames.push(clientFrame(offset === 0 ? 2 : 0, piece, { fin: offset + fragment >= size }));
    }
    socket.sendRaw(Buffer.concat(frames));
    await waitFor(() => received.length === 1, { what: 'the message' });
    expect(received[0]?.data.equals(payload)).toBe(true);
    expectNothingElse(received, 1);
  });

  it.each([2_000, 20_101, 200_000])('a compressed message of %i bytes', async (size) => {
    const { received, open } = await serve();
    const socket = await (
      open as (after?: Uint8Array, extensions?: string) => Promise<RawWebSocket>
    )(undefined, 'permessage-deflate');
    const text = Buffer.from('wsgate '.repeat(Math.ceil(size / 7)).slice(0, size));
    const compressed = deflateRawSync(text, { finishFlush: constants.Z_SYNC_FLUSH });
    socket.sendRaw(clientFrame(1, compressed.subarray(0, compressed.length - 4), { rsv1: true }));
    await waitFor(() => received.length === 1, { what: 'the message' });
    expect(received[0]?.data.equals(text)).toBe(true);
    expectNothingElse(received, 1);
  });
});
