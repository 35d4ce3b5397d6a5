import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { InflateResult, MessageCodec, SessionCompression } from '../protocol/message-codec.js';
import {
  DEFAULT_DEFLATE_THRESHOLD_BYTES,
  type DeflateAgreement,
  type DeflateOptions,
} from '../protocol/permessage-deflate.js';
import { deflateLater, inflateLater } from './zlib-async.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY = Buffer.alloc(0);

/**
 * Messages shorter than this are deflated on the event loop, longer ones on the threadpool.
 * Measured (CPU time, zlib's default level, text of words and numbers, 32 KiB dictionary):
 * 16 KiB deflates in about 0.2 ms, 64 KiB in 1.2 ms, 1 MiB in 19 ms; an asynchronous job takes
 * about 0.4 ms from start to answer even for 2 KiB, so short messages are faster done at once.
 */
export const SYNC_DEFLATE_MAX_BYTES = 16 * 1024;
/**
 * The same for a message compressed once for many connections (a topic's): its cost is shared,
 * and 64 KiB (about 1.2 ms) at once spares every subscriber the job's round trip.
 */
export const SYNC_SHARED_DEFLATE_MAX_BYTES = 64 * 1024;
/** Compressed messages up to this size are inflated on the loop, with the output bounded below. */
export const SYNC_INFLATE_MAX_INPUT_BYTES = 16 * 1024;
/**
 * Inflating on the loop stops at this much output (about 0.8 ms of inflating): a message that
 * inflates to more is inflated again on the threadpool, where its limit is the message limit.
 */
export const SYNC_INFLATE_MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * Keeps the last `windowBytes` of a direction's plaintext. Compressing or inflating a message
 * with it as the preset dictionary is exactly context takeover (RFC 7692 §7.2.3): the peer's
 * LZ77 window holds the same bytes. One-shot zlib calls then suffice: no zlib stream lives
 * between messages (hundreds of KiB per direction), only the window's bytes, in a buffer of
 * twice its size that messages are appended to and that is compacted when full: a message costs
 * a copy of itself (plus at most as much again in compaction), never an allocation, which a
 * topic message sent to thousands of connections would otherwise make each time.
 */
class SlidingWindow {
  private buffer: Buffer = EMPTY;
  private end = 0;

  constructor(private readonly windowBytes: number) {}

  /** A view of the buffer, valid until the next push: copy it for work that outlives the call. */
  get dictionary(): Buffer | undefined {
    if (this.end === 0) return undefined;
    return this.buffer.subarray(Math.max(0, this.end - this.windowBytes), this.end);
  }

  push(message: Uint8Array): void {
    const size = this.windowBytes;
    if (this.buffer.length === 0) this.buffer = Buffer.allocUnsafe(2 * size);
    const buffer = this.buffer;
    if (message.length >= size) {
      buffer.set(message.subarray(message.length - size), 0);
      this.end = size;
      return;
    }
    if (this.end + message.length > buffer.length) {
      // Keep the last window's worth (less what the message brings), moved to the front.
      const keep = Math.min(this.end, size - message.length);
      buffer.copyWithin(0, this.end - keep, this.end);
      this.end = keep;
    }
    buffer.set(message, this.end);
    this.end += message.length;
  }
}

export interface ZlibCodecOptions {
  /** Bits of the window we compress with (8-15). */
  readonly compressWindowBits: number;
  readonly compressNoContextTakeover: boolean;
  /** Bits of the window the peer compresses with (8-15). */
  readonly decompressWindowBits: number;
  readonly decompressNoContextTakeover: boolean;
  readonly level?: number | undefined;
  readonly memLevel?: number | undefined;
}

export class ZlibMessageCodec implements MessageCodec {
  readonly sharedCompressionKey: string | undefined;
  private readonly sent: SlidingWindow | undefined;
  private readonly received: SlidingWindow | undefined;
  private readonly deflateOptions: {
    windowBits: number;
    level: number;
    memLevel: number;
    strategy: number;
    finishFlush: number;
  };

  constructor(options: ZlibCodecOptions) {
    this.sent = options.compressNoContextTakeover
      ? undefined
      : new SlidingWindow(1 << options.compressWindowBits);
    this.received = options.decompressNoContextTakeover
      ? undefined
      : new SlidingWindow(1 << options.decompressWindowBits);
    // zlib cannot compress raw DEFLATE with a 256-byte window (it silently uses 512). For an
    // agreed window of 8 bits we compress without back-references (Huffman only), which no
    // window size can misread.
    const tiny = options.compressWindowBits === 8;
    this.deflateOptions = {
      windowBits: tiny ? 9 : options.compressWindowBits,
      level: options.level ?? constants.Z_DEFAULT_COMPRESSION,
      memLevel: options.memLevel ?? 8,
      strategy: tiny ? constants.Z_HUFFMAN_ONLY : constants.Z_DEFAULT_STRATEGY,
      finishFlush: constants.Z_SYNC_FLUSH,
    };
    const { windowBits, level, memLevel, strategy } = this.deflateOptions;
    this.sharedCompressionKey = `${windowBits}/${level}/${memLevel}/${strategy}`;
  }

  compress(message: Uint8Array): Uint8Array {
    const dictionary = this.sent?.dictionary;
    const output = deflateRawSync(
      message,
      dictionary === undefined ? this.deflateOptions : { ...this.deflateOptions, dictionary },
    );
    this.sent?.push(message);
    return withoutTail(output);
  }

  compressOrDefer(
    message: Uint8Array,
    later: (compressed: Uint8Array | undefined) => void,
  ): Uint8Array | undefined {
    if (message.length < SYNC_DEFLATE_MAX_BYTES) return this.compress(message);
    const window = this.sent?.dictionary;
    const dictionary = window === undefined ? undefined : Buffer.from(window);
    // The window moves on now: the next message, compressed before this one's answer comes,
    // takes over this one's context, as the peer will see them (in the order they are sent).
    this.sent?.push(message);
    deflateLater(
      message,
      dictionary === undefined ? this.deflateOptions : { ...this.deflateOptions, dictionary },
      (output) => later(output === undefined ? undefined : withoutTail(output)),
    );
    return undefined;
  }

  compressShared(
    message: Uint8Array,
    later: (compressed: Uint8Array | undefined) => void,
  ): Uint8Array | undefined {
    if (message.length < SYNC_SHARED_DEFLATE_MAX_BYTES)
      return withoutTail(deflateRawSync(message, this.deflateOptions));
    deflateLater(message, this.deflateOptions, (output) =>
      later(output === undefined ? undefined : withoutTail(output)),
    );
    return undefined;
  }

  sentShared(message: Uint8Array): void {
    this.sent?.push(message);
  }

  decompressOrDefer(
    message: Uint8Array,
    maxOutputBytes: number,
    later: (result: InflateResult) => void,
  ): InflateResult | undefined {
    if (message.length <= SYNC_INFLATE_MAX_INPUT_BYTES) {
      const bound = Math.min(maxOutputBytes, SYNC_INFLATE_MAX_OUTPUT_BYTES);
      const output = this.decompress(message, bound);
      if (output !== 'too-big' || bound === maxOutputBytes) return output;
    }
    const window = this.received?.dictionary;
    const dictionary = window === undefined ? undefined : Buffer.from(window);
    const received = this.received;
    inflateLater(
      message,
      TAIL,
      maxOutputBytes,
      {
        windowBits: 15,
        finishFlush: constants.Z_SYNC_FLUSH,
        ...(dictionary === undefined ? {} : { dictionary }),
      },
      (result) => {
        // Inflates of one connection never overlap (it reads nothing more meanwhile): the
        // window moves on in message order.
        if (typeof result !== 'string') received?.push(result);
        later(result);
      },
    );
    return undefined;
  }

  decompress(message: Uint8Array, maxOutputBytes: number): InflateResult {
    const input = Buffer.concat([message, TAIL]);
    const dictionary = this.received?.dictionary;
    let output: Buffer;
    try {
      // Inflating with the largest window reads any smaller window's data (RFC 1951 §3.2).
      output = inflateRawSync(input, {
        windowBits: 15,
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: Math.max(1, maxOutputBytes),
        ...(dictionary === undefined ? {} : { dictionary }),
      });
    } catch (error) {
      return (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too-big' : 'invalid';
    }
    if (output.length > maxOutputBytes) return 'too-big';
    this.received?.push(output);
    return output;
  }
}

/** RFC 7692 §7.2.1: a sync flush ends with an empty stored block, whose 00 00 ff ff is removed. */
function withoutTail(output: Buffer): Buffer {
  return output.length >= 4 && output.readUInt32BE(output.length - 4) === 0x0000ffff
    ? output.subarray(0, output.length - 4)
    : output;
}

/** The compression a connection uses, from the agreement and which side we are. */
export function createSessionCompression(
  agreement: DeflateAgreement,
  side: 'server' | 'client',
  options: DeflateOptions = {},
): SessionCompression {
  const server = side === 'server';
  return {
    codec: new ZlibMessageCodec({
      compressWindowBits: server ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits,
      compressNoContextTakeover: server
        ? agreement.serverNoContextTakeover
        : agreement.clientNoContextTakeover,
      decompressWindowBits: server ? agreement.clientMaxWindowBits : agreement.serverMaxWindowBits,
      decompressNoContextTakeover: server
        ? agreement.clientNoContextTakeover
        : agreement.serverNoContextTakeover,
      level: options.level,
      memLevel: options.memLevel,
    }),
    thresholdBytes: options.thresholdBytes ?? DEFAULT_DEFLATE_THRESHOLD_BYTES,
  };
}
