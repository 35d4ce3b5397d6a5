import type { Allocate } from './frame-serializer.js';
import { copyUnmasked } from './mask.js';

// How a message's bytes are kept until it ends, and handed out (message-assembler.ts).

/**
 * A message's parts as kept until it ends: each piece (a view into a received chunk) followed
 * by its masking key and phase, the key 0 when the piece is not masked (see `copyUnmasked`).
 */
export type Parts = (Uint8Array | number)[];

/**
 * The parts in one buffer of its own (see SessionOptions.allocateMessage), unmasked on the way.
 * The buffer is allocated up to 7 bytes longer (zeros around the message), and the message
 * placed so that the first long masked piece and its copy are equally aligned: the pieces of a
 * message read in 64 KiB chunks then all are, and are copied 8 bytes at a time.
 */
export function joinParts(parts: Parts, total: number, allocate: Allocate): Uint8Array {
  let aligned: Uint8Array | undefined;
  let alignedOffset = 0;
  for (let i = 0, offset = 0; i < parts.length; i += 3) {
    const piece = parts[i] as Uint8Array;
    if (parts[i + 1] !== 0) {
      aligned = piece;
      alignedOffset = offset;
      break;
    }
    offset += piece.length;
  }
  let joined: Uint8Array;
  if (aligned === undefined) {
    joined = allocate(total);
  } else {
    const spacious = allocate(total + 7);
    const shift = (aligned.byteOffset - alignedOffset - spacious.byteOffset) & 7;
    joined = spacious.subarray(shift, shift + total);
    // The message's ArrayBuffer holds nothing else: the up to 7 bytes around it are zeros.
    spacious.fill(0, 0, shift);
    spacious.fill(0, shift + total);
  }
  for (let i = 0, offset = 0; i < parts.length; i += 3) {
    const piece = parts[i] as Uint8Array;
    const key = parts[i + 1] as number;
    if (key === 0) joined.set(piece, offset);
    else copyUnmasked(piece, key, parts[i + 2] as number, joined, offset);
    offset += piece.length;
  }
  return joined;
}

/**
 * The most DEFLATE data an honest deflater sends for a message of `limit` bytes; what is beyond
 * is refused from the frame headers (1009), before it is buffered. Incompressible data grows:
 * - a stored block (RFC 1951 §3.2.4) costs 5 bytes (3 header bits padded to a byte, LEN, NLEN),
 *   and zlib ends a block whenever its symbol buffer fills: 2^(memLevel + 6) - 1 symbols, so
 *   127-byte blocks at memLevel 1, +4% (Python websockets' memLevel 5: 2,047-byte blocks, +0.25%);
 * - a block that no longer fits in the window cannot be stored, and zlib codes it with fixed
 *   Huffman codes (§3.2.6), where literals 144-255 take 9 bits, and a block 10 more bits.
 * Measured with zlib 1.2.13 (levels 0-9, memLevels 1-9, windows 9-15, every strategy): random
 * bytes grow by 5.2% at most (memLevel 4, 512-byte window), bytes 144-255 forced into fixed codes
 * (Z_FIXED) by 12.6%. Blocks of 70 bytes or more in fixed codes stay under 8/7 ((9n + 10) / 8n);
 * shorter blocks are stored, 5 bytes each. So one seventh, and 1 KiB for the sync flushes of the
 * fragments; the inflated size is bounded again, exactly, while inflating (the bomb defence).
 */
export function compressedLimit(limit: number): number {
  return limit + Math.ceil(limit / 7) + 1024;
}

/**
 * Whether `view` may be handed to the application as it is: its ArrayBuffer holds only it, or
 * only its own frame's header before it (`headerBytes`, see FrameHeader), which the parser zeroed.
 */
export function ownsItsBuffer(view: Uint8Array, headerBytes: number): boolean {
  const offset = view.byteOffset;
  return (
    offset + view.length === view.buffer.byteLength && (offset === 0 || offset === headerBytes)
  );
}
