import { isUtf8 as isUtf8Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import type { FrameSpec, MessageType } from './types.js';

// An independent codec for the client side of RFC 6455: the engine under test must not judge
// itself, so nothing here comes from @wsgate/core.

// --- opcodes and helpers ----------------------------------------------------------------------

export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

export function bytes(value: Uint8Array | string | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/[^0-9a-fA-F]/g, ''), 'hex');
}

/** A close frame payload: the code in network order, then the reason (RFC 6455 §5.5.1). */
export function closePayload(code: number, reason: Uint8Array | string = ''): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code);
  return Buffer.concat([head, bytes(reason)]);
}

/** Whether bytes are well-formed UTF-8 (RFC 3629): no overlongs, surrogates or values past U+10FFFF. */
export function isUtf8(data: Uint8Array): boolean {
  return data.length === 0 || isUtf8Buffer(data);
}

/** Close codes a frame may carry (RFC 6455 §7.4.1, §7.4.2; IANA registry: 1012-1014). */
export function isSendableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}

// --- handshake --------------------------------------------------------------------------------

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function newHandshakeKey(): string {
  return randomBytes(16).toString('base64');
}

/** RFC 6455 §4.2.2: base64(SHA-1(key + GUID)). */
export function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}${GUID}`).digest('base64');
}

export interface ResponseHead {
  readonly status: number;
  readonly statusLine: string;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
}

export function parseResponseHead(text: string): ResponseHead {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return { status, statusLine, headers };
}

// --- frames out -------------------------------------------------------------------------------

let maskPool = randomBytes(4096);
let maskOffset = 0;

function nextMaskKey(): Buffer {
  if (maskOffset + 4 > maskPool.length) {
    maskPool = randomBytes(4096);
    maskOffset = 0;
  }
  const key = maskPool.subarray(maskOffset, maskOffset + 4);
  maskOffset += 4;
  return key;
}

function maskInto(target: Buffer, offset: number, payload: Uint8Array, key: Uint8Array): void {
  const k0 = key[0] as number;
  const k1 = key[1] as number;
  const k2 = key[2] as number;
  const k3 = key[3] as number;
  const length = payload.length;
  const whole = length & ~3;
  let i = 0;
  for (; i < whole; i += 4) {
    target[offset + i] = (payload[i] as number) ^ k0;
    target[offset + i + 1] = (payload[i + 1] as number) ^ k1;
    target[offset + i + 2] = (payload[i + 2] as number) ^ k2;
    target[offset + i + 3] = (payload[i + 3] as number) ^ k3;
  }
  for (; i < length; i++) target[offset + i] = (payload[i] as number) ^ (key[i & 3] as number);
}

/** The size of a frame on the wire, for preallocating a batch of frames. */
export function frameSize(payloadLength: number, masked = true): number {
  const extended = payloadLength < 126 ? 0 : payloadLength < 0x10000 ? 2 : 8;
  return 2 + extended + (masked ? 4 : 0) + payloadLength;
}

/** Writes one frame at `offset`, with the minimal length encoding (RFC 6455 §5.2); returns its size. */
export function writeFrame(target: Buffer, offset: number, spec: FrameSpec): number {
  const payload = bytes(spec.payload);
  const masked = spec.masked ?? true;
  const rsv = spec.rsv ?? 0;
  let at = offset;
  target[at++] = ((spec.fin ?? true) ? 0x80 : 0) | ((rsv & 7) << 4) | (spec.opcode & 0x0f);
  const maskBit = masked ? 0x80 : 0;
  const length = payload.length;
  if (length < 126) {
    target[at++] = maskBit | length;
  } else if (length < 0x10000) {
    target[at++] = maskBit | 126;
    target.writeUInt16BE(length, at);
    at += 2;
  } else {
    target[at++] = maskBit | 127;
    target.writeUInt32BE(Math.floor(length / 0x100000000), at);
    target.writeUInt32BE(length >>> 0, at + 4);
    at += 8;
  }
  if (masked) {
    const key = spec.maskKey ?? nextMaskKey();
    target.set(key.subarray(0, 4), at);
    at += 4;
    maskInto(target, at, payload, key);
  } else {
    target.set(payload, at);
  }
  return at + length - offset;
}

export function encodeFrame(spec: FrameSpec): Buffer {
  const payloadLength = bytes(spec.payload).length;
  const target = Buffer.allocUnsafe(frameSize(payloadLength, spec.masked ?? true));
  writeFrame(target, 0, spec);
  return target;
}

export function encodeFrames(specs: readonly FrameSpec[]): Buffer {
  let total = 0;
  for (const spec of specs) total += frameSize(bytes(spec.payload).length, spec.masked ?? true);
  const target = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const spec of specs) offset += writeFrame(target, offset, spec);
  return target;
}

/**
 * The frames of one data message: the payload split into fragments of at most `fragmentBytes`
 * (0: one frame); `rsv1` marks a compressed message on its first frame only (RFC 7692 §6).
 */
export function messageFrames(
  type: MessageType,
  payload: Uint8Array,
  fragmentBytes = 0,
  rsv1 = false,
): FrameSpec[] {
  const opcode = type === 'text' ? Opcode.text : Opcode.binary;
  if (fragmentBytes <= 0 || payload.length <= fragmentBytes) {
    return [{ opcode, payload, rsv: rsv1 ? 4 : 0 }];
  }
  const frames: FrameSpec[] = [];
  for (let start = 0; start < payload.length; start += fragmentBytes) {
    const end = Math.min(payload.length, start + fragmentBytes);
    frames.push({
      opcode: start === 0 ? opcode : Opcode.continuation,
      payload: payload.subarray(start, end),
      fin: end === payload.length,
      rsv: start === 0 && rsv1 ? 4 : 0,
    });
  }
  return frames;
}

// --- frames in --------------------------------------------------------------------------------

export interface ServerFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Buffer;
  /** False when the length used more bytes than needed (RFC 6455 §5.2 forbids it). */
  readonly minimalLength: boolean;
}

/** A queue of received chunks that hands out exact byte ranges, copying only across chunks. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  byteAt(index: number): number {
    let i = index + this.head;
    for (const chunk of this.chunks) {
      if (i < chunk.length) return chunk[i] as number;
      i -= chunk.length;
    }
    throw new RangeError('byteAt past the end of the queue');
  }

  take(count: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= count) {
      const piece = first.subarray(this.head, this.head + count);
      this.head += count;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      this.length -= count;
      return piece;
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0] as Buffer;
      const n = Math.min(count - filled, chunk.length - this.head);
      chunk.copy(out, filled, this.head, this.head + n);
      filled += n;
      this.head += n;
      if (this.head === chunk.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.length -= count;
    return out;
  }
}

/**
 * Reads the server's frames from a byte stream. Framing errors it cannot read past (a 64-bit
 * length with its top bit set) stop it and are reported through `onError`.
 */
export class FrameReader {
  private readonly queue = new ByteQueue();
  private stopped = false;

  constructor(
    private readonly onFrame: (frame: ServerFrame) => void,
    private readonly onError: (message: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.stopped) return;
    this.queue.push(chunk);
    while (!this.stopped && this.readOne()) {
      // one frame per iteration
    }
  }

  private readOne(): boolean {
    const queue = this.queue;
    if (queue.length < 2) return false;
    const b0 = queue.byteAt(0);
    const b1 = queue.byteAt(1);
    const masked = (b1 & 0x80) !== 0;
    const length7 = b1 & 0x7f;
    const headerLength = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (masked ? 4 : 0);
    if (queue.length < headerLength) return false;
    let length = length7;
    let minimalLength = true;
    if (length7 === 126) {
      length = (queue.byteAt(2) << 8) | queue.byteAt(3);
      minimalLength = length >= 126;
    } else if (length7 === 127) {
      const high =
        ((queue.byteAt(2) << 24) |
          (queue.byteAt(3) << 16) |
          (queue.byteAt(4) << 8) |
          queue.byteAt(5)) >>>
        0;
      const low =
        ((queue.byteAt(6) << 24) |
          (queue.byteAt(7) << 16) |
          (queue.byteAt(8) << 8) |
          queue.byteAt(9)) >>>
        0;
      if (high & 0x80000000) {
        this.stopped = true;
        this.onError('a 64-bit payload length has its most significant bit set (RFC 6455 §5.2)');
        return false;
      }
      length = high * 0x100000000 + low;
      minimalLength = length >= 0x10000;
    }
    if (queue.length < headerLength + length) return false;
    const header = queue.take(headerLength);
    const view = queue.take(length);
    // Views into received chunks are safe to keep; a masked payload is unmasked in a copy.
    const payload = masked ? Buffer.from(view) : view;
    if (masked) {
      const key = header.subarray(headerLength - 4);
      for (let i = 0; i < payload.length; i++) {
        payload[i] = (payload[i] as number) ^ (key[i & 3] as number);
      }
    }
    this.onFrame({
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      rsv2: (b0 & 0x20) !== 0,
      rsv3: (b0 & 0x10) !== 0,
      opcode: b0 & 0x0f,
      masked,
      payload,
      minimalLength,
    });
    return true;
  }
}
