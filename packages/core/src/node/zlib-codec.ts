import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { MessageCodec, SessionCompression } from '../protocol/message-codec.js';
import {
  DEFAULT_DEFLATE_THRESHOLD_BYTES,
  type DeflateAgreement,
  type DeflateOptions,
} from '../protocol/permessage-deflate.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY = Buffer.alloc(0);

/**
 * Keeps the last `windowBytes` of a direction's plaintext. Compressing or inflating a message
 * with it as the preset dictionary is exactly context takeover (RFC 7692 §7.2.3): the peer's
 * LZ77 window holds the same bytes. One-shot zlib calls then suffice, which keeps zlib work
 * synchronous and bounded, and holds at most one window of bytes per connection instead of a
 * live zlib stream (hundreds of KiB) per direction.
 */
class SlidingWindow {
  private bytes: Buffer = EMPTY;

  constructor(private readonly windowBytes: number) {}

  get dictionary(): Buffer | undefined {
    return this.bytes.length === 0 ? undefined : this.bytes;
  }

  push(message: Uint8Array): void {
    const size = this.windowBytes;
    if (message.length >= size) {
      this.bytes = Buffer.from(message.subarray(message.length - size));
      return;
    }
    const keep = Math.min(this.bytes.length, size - message.length);
    const next = Buffer.allocUnsafe(keep + message.length);
    this.bytes.copy(next, 0, this.bytes.length - keep);
    next.set(message, keep);
    this.bytes = next;
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
  }

  compress(message: Uint8Array): Uint8Array {
    const dictionary = this.sent?.dictionary;
    const output = deflateRawSync(
      message,
      dictionary === undefined ? this.deflateOptions : { ...this.deflateOptions, dictionary },
    );
    this.sent?.push(message);
    // RFC 7692 §7.2.1: a sync flush ends with an empty stored block, whose 00 00 ff ff is removed.
    return output.length >= 4 && output.readUInt32BE(output.length - 4) === 0x0000ffff
      ? output.subarray(0, output.length - 4)
      : output;
  }

  decompress(message: Uint8Array, maxOutputBytes: number): Uint8Array | 'too-big' | 'invalid' {
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
