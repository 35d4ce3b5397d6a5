/**
 * The frame oracle: an encoder and decoder for WebSocket frames written from RFC 6455 §5.2 alone,
 * shared by every test, the conformance suite and the test-kit. It imports nothing from
 * @wsgate/core, so that a mistake in the production parser or serializer cannot be repeated here
 * and pass unnoticed. It is meant to be obviously correct, not fast: one byte at a time.
 *
 *    0                   1                   2                   3
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *   | |1|2|3|       |K|             |                               |
 *   |     Extended payload length continued, if payload len == 127  |
 *   |                               | Masking-key, if MASK set to 1 |
 *   | Masking-key (continued)       |          Payload Data         |
 */

/** How the payload length is written (RFC 6455 §5.2): in the 7-bit field, or after 126 or 127. */
export type LengthEncoding = '7-bit' | '16-bit' | '64-bit';

/** Everything a frame header can say, including what a valid peer never sends. */
export interface FrameFields {
  /** 0–15; reserved opcodes are allowed, for hostile tests. */
  readonly opcode: number;
  readonly payload?: Uint8Array | string | undefined;
  /** Defaults to true. */
  readonly fin?: boolean | undefined;
  readonly rsv1?: boolean | undefined;
  readonly rsv2?: boolean | undefined;
  readonly rsv3?: boolean | undefined;
  /** A 4-byte masking key; true for a random one; false or absent for an unmasked frame. */
  readonly mask?: Uint8Array | boolean | undefined;
  /** The shortest encoding that holds the length by default; a longer one is not minimal. */
  readonly lengthEncoding?: LengthEncoding | undefined;
  /**
   * The length written in the header, when it must differ from the payload's: a header that
   * announces bytes never sent, or a 64-bit length with its most significant bit set.
   */
  readonly declaredLength?: number | bigint | undefined;
}

/** One frame read back from the wire. */
export interface DecodedFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly maskKey: Buffer | undefined;
  /** Unmasked. */
  readonly payload: Buffer;
  readonly lengthEncoding: LengthEncoding;
  /** False when the length used more bytes than needed, which RFC 6455 §5.2 forbids. */
  readonly minimalLength: boolean;
}

/** The masking key of the RFC 6455 §5.7 examples. */
export const RFC_MASK: Uint8Array = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

const TWO_TO_THE_63 = 1n << 63n;

function minimalEncoding(length: bigint): LengthEncoding {
  if (length <= 125n) return '7-bit';
  if (length <= 0xffffn) return '16-bit';
  return '64-bit';
}

function payloadBytes(payload: Uint8Array | string | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
}

function maskKeyOf(mask: FrameFields['mask']): Buffer | undefined {
  if (mask === undefined || mask === false) return undefined;
  if (mask === true) return Buffer.from(crypto.getRandomValues(new Uint8Array(4)));
  if (mask.length !== 4) throw new RangeError(`a masking key has 4 bytes, not ${mask.length}`);
  return Buffer.from(mask);
}

/** The header alone: first byte, length, masking key. */
export function encodeFrameHeader(fields: FrameFields, payloadLength: number): Buffer {
  return header(fields, payloadLength, maskKeyOf(fields.mask));
}

function header(fields: FrameFields, payloadLength: number, maskKey: Buffer | undefined): Buffer {
  if (!Number.isInteger(fields.opcode) || fields.opcode < 0 || fields.opcode > 15) {
    throw new RangeError(`an opcode has 4 bits: ${fields.opcode} does not fit`);
  }
  const length = BigInt(fields.declaredLength ?? payloadLength);
  if (length < 0n || length >= 1n << 64n) throw new RangeError(`no frame has length ${length}`);
  const encoding = fields.lengthEncoding ?? minimalEncoding(length);
  const first =
    ((fields.fin ?? true) ? 0x80 : 0) |
    (fields.rsv1 ? 0x40 : 0) |
    (fields.rsv2 ? 0x20 : 0) |
    (fields.rsv3 ? 0x10 : 0) |
    fields.opcode;
  const maskBit = maskKey === undefined ? 0 : 0x80;
  const bytes: number[] = [first];
  if (encoding === '7-bit') {
    if (length > 125n) throw new RangeError(`the 7-bit length holds 0-125, not ${length}`);
    bytes.push(maskBit | Number(length));
  } else if (encoding === '16-bit') {
    if (length > 0xffffn) throw new RangeError(`the 16-bit length holds 0-65535, not ${length}`);
    bytes.push(maskBit | 126, Number(length >> 8n), Number(length & 0xffn));
  } else {
    bytes.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) bytes.push(Number((length >> shift) & 0xffn));
  }
  if (maskKey !== undefined) bytes.push(...maskKey);
  return Buffer.from(bytes);
}

/** XOR with the key, byte i with key byte i mod 4 (RFC 6455 §5.3); its own inverse. */
export function applyMask(payload: Uint8Array, key: Uint8Array): Buffer {
  const out = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) {
    out[i] = (payload[i] as number) ^ (key[i % 4] as number);
  }
  return out;
}

/** A whole frame: header, then the payload, masked if the frame has a key. */
export function encodeFrame(fields: FrameFields): Buffer {
  const payload = payloadBytes(fields.payload);
  const maskKey = maskKeyOf(fields.mask);
  const body = maskKey === undefined ? payload : applyMask(payload, maskKey);
  return Buffer.concat([header(fields, payload.length, maskKey), body]);
}

/** Frames back to back, as one write. */
export function encodeFrames(frames: readonly FrameFields[]): Buffer {
  return Buffer.concat(frames.map(encodeFrame));
}

/**
 * Reads frames from a byte stream fed in arbitrary chunks. `next()` returns a frame once all of
 * its bytes have arrived. It checks only what it must to find the frame's end: a 64-bit length
 * with its most significant bit set (RFC 6455 §5.2) throws, and so does every later call.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failure: Error | undefined;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(Buffer.from(chunk));
    this.buffered += chunk.length;
  }

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  next(): DecodedFrame | undefined {
    if (this.failure !== undefined) throw this.failure;
    const start = this.peek(Math.min(this.buffered, 14));
    if (start.length < 2) return undefined;
    const first = start[0] as number;
    const second = start[1] as number;
    const masked = (second & 0x80) !== 0;
    const length7 = second & 0x7f;
    const lengthEncoding: LengthEncoding =
      length7 === 126 ? '16-bit' : length7 === 127 ? '64-bit' : '7-bit';
    const extendedBytes = lengthEncoding === '16-bit' ? 2 : lengthEncoding === '64-bit' ? 8 : 0;
    const headerLength = 2 + extendedBytes + (masked ? 4 : 0);
    if (start.length < headerLength) return undefined;
    let length = BigInt(length7);
    if (extendedBytes > 0) {
      length = 0n;
      for (let i = 0; i < extendedBytes; i++)
        length = (length << 8n) | BigInt(start[2 + i] as number);
    }
    if (length >= TWO_TO_THE_63) {
      this.failure = new Error(
        'a 64-bit payload length has its most significant bit set (RFC 6455 §5.2)',
      );
      throw this.failure;
    }
    if (BigInt(this.buffered) < BigInt(headerLength) + length) return undefined;
    const bytes = this.take(headerLength + Number(length));
    const maskKey = masked ? bytes.subarray(headerLength - 4, headerLength) : undefined;
    const body = bytes.subarray(headerLength);
    return {
      fin: (first & 0x80) !== 0,
      rsv1: (first & 0x40) !== 0,
      rsv2: (first & 0x20) !== 0,
      rsv3: (first & 0x10) !== 0,
      opcode: first & 0x0f,
      masked,
      maskKey,
      payload: maskKey === undefined ? body : applyMask(body, maskKey),
      lengthEncoding,
      minimalLength: minimalEncoding(length) === lengthEncoding,
    };
  }

  /** A copy of the first `count` buffered bytes, leaving them buffered. */
  private peek(count: number): Buffer {
    const parts: Buffer[] = [];
    let collected = 0;
    for (const chunk of this.chunks) {
      if (collected >= count) break;
      parts.push(chunk);
      collected += chunk.length;
    }
    return Buffer.concat(parts).subarray(0, count);
  }

  /** The first `count` buffered bytes, removed from the buffer. */
  private take(count: number): Buffer {
    const parts: Buffer[] = [];
    let collected = 0;
    while (collected < count) {
      const chunk = this.chunks.shift() as Buffer;
      const wanted = count - collected;
      if (chunk.length > wanted) {
        parts.push(chunk.subarray(0, wanted));
        this.chunks.unshift(chunk.subarray(wanted));
        collected += wanted;
      } else {
        parts.push(chunk);
        collected += chunk.length;
      }
    }
    this.buffered -= count;
    return Buffer.concat(parts);
  }
}

/** Every frame in `bytes`, which must hold whole frames only; a truncated frame throws. */
export function decodeFrames(bytes: Uint8Array): DecodedFrame[] {
  const decoder = new FrameDecoder();
  decoder.push(bytes);
  const frames: DecodedFrame[] = [];
  for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) frames.push(frame);
  if (decoder.bufferedBytes > 0) {
    throw new Error(`${decoder.bufferedBytes} bytes after the last whole frame: a truncated frame`);
  }
  return frames;
}
