import type { Socket } from 'node:net';
import { constants, deflateRawSync } from 'node:zlib';
import { type RawResponse, sendAndRead, upgradeHeaders } from '../raw-http.js';
import type { RawWebSocket } from '../raw-websocket.js';
import { MiB } from './hostile-demo.js';

/** What hostile raw clients do to a socket: paced writes, floods, bombs, bounded waits. */

/** Resolves once every byte written to `socket` so far has been handed to the kernel. */
export function flushed(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
}

/** A handshake's request head, with `extra` headers after the valid ones. */
export function handshakeHead(
  port: number,
  path: string,
  extra: Record<string, string> = {},
): Buffer {
  let head = `GET ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries({ ...upgradeHeaders(port), ...extra }))
    head += `${name}: ${value}\r\n`;
  return Buffer.from(`${head}\r\n`, 'latin1');
}

/**
 * Sends `bytes` a chunk at a time, each after the previous one was handed to the kernel, and
 * stops as soon as the server answers: a server that answers an oversized head and closes
 * would otherwise reset a connection still being written to, and the answer be lost.
 */
export async function pacedExchange(
  port: number,
  bytes: Buffer,
  chunkBytes: number,
  timeoutMs = 5_000,
): Promise<RawResponse> {
  let sentBytes = 0;
  const { response } = await sendAndRead(
    port,
    (socket, answered) => {
      const pump = (): void => {
        if (answered() || socket.destroyed || sentBytes >= bytes.length) return;
        const piece = bytes.subarray(sentBytes, sentBytes + chunkBytes);
        sentBytes += piece.length;
        socket.write(piece, () => setImmediate(pump));
      };
      pump();
    },
    { timeoutMs },
  );
  return response;
}

/**
 * Writes `burst` again and again, without reading, until `maxBytes` are queued or the socket
 * has not drained for `stallMs` (the server stopped reading). Returns the bytes queued.
 */
export async function writeUntilStalled(
  socket: Socket,
  burst: Buffer,
  maxBytes: number,
  stallMs = 500,
): Promise<number> {
  let queued = 0;
  while (queued < maxBytes && !socket.destroyed) {
    queued += burst.length;
    if (socket.write(burst)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        socket.off('drain', onDrain);
        resolve(false);
      }, stallMs);
      const onDrain = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      socket.once('drain', onDrain);
    });
    if (!drained) break;
  }
  return queued;
}

/** `count` copies of one frame, in one buffer. */
export function repeated(frame: Buffer, count: number): Buffer {
  const bytes = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(bytes, i * frame.length);
  return bytes;
}

/**
 * A permessage-deflate payload inflating to `inflatedBytes` zeros. Compressing 8 MiB once and
 * repeating it is enough: the blocks are non-final and end on a byte boundary (sync flush), and
 * their back-references reach only zeros, so the copies make one valid DEFLATE stream.
 */
export function deflateBomb(inflatedBytes: number): Buffer {
  const piece = 8 * MiB;
  const compressed = deflateRawSync(Buffer.alloc(piece), {
    level: 9,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  return repeated(compressed, Math.ceil(inflatedBytes / piece));
}

/** The close frame a raw client received, once the server has closed TCP (bounded wait). */
export async function closeOf(
  raw: RawWebSocket,
  timeoutMs = 5_000,
): Promise<{ code: number | undefined; reason: string } | undefined> {
  await raw.waitForClose(timeoutMs);
  return raw.closeFrame();
}

/** Waits until a socket has closed, or `timeoutMs`; true if it did. */
export async function socketClosed(socket: Socket, timeoutMs = 5_000): Promise<boolean> {
  if (socket.destroyed) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
