import { createDeflateRaw, createInflateRaw, type ZlibOptions } from 'node:zlib';
import type { InflateResult } from '../protocol/message-codec.js';
import { runZlibJob } from './zlib-jobs.js';

/**
 * Output chunk of an asynchronous zlib job: each one is a trip from the threadpool to the event
 * loop, a few microseconds there; larger chunks mean fewer trips for a big message.
 */
const CHUNK_BYTES = 128 * 1024;

/**
 * Deflates `input` on the threadpool, as one job of the process-wide queue (see zlib-jobs.ts).
 * The stream lives for this message only and is closed when it ends.
 */
export function deflateLater(
  input: Uint8Array,
  options: ZlibOptions,
  done: (output: Buffer | undefined) => void,
): void {
  runZlibJob((finished) => {
    const stream = createDeflateRaw({ ...options, chunkSize: CHUNK_BYTES });
    const chunks: Buffer[] = [];
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
    });
    stream.once('error', () => {
      finished();
      done(undefined);
    });
    stream.once('end', () => {
      finished();
      done(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes));
    });
    stream.end(input);
  });
}

/**
 * Inflates `input`, then `tail`, on the threadpool (one job of the queue). Output past
 * `maxOutputBytes` destroys the stream at once: a bomb is cut at the limit, never held whole.
 */
export function inflateLater(
  input: Uint8Array,
  tail: Uint8Array,
  maxOutputBytes: number,
  options: ZlibOptions,
  done: (result: InflateResult) => void,
): void {
  runZlibJob((finished) => {
    const stream = createInflateRaw({ ...options, chunkSize: CHUNK_BYTES });
    let chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const settle = (result: InflateResult): void => {
      if (settled) return;
      settled = true;
      chunks = [];
      finished();
      done(result);
    };
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxOutputBytes) {
        stream.destroy();
        settle('too-big');
        return;
      }
      chunks.push(chunk);
    });
    stream.once('error', () => settle('invalid'));
    stream.once('end', () =>
      settle(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes)),
    );
    stream.write(input);
    stream.end(tail);
  });
}
