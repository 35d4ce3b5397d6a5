import { isUtf8 as isUtf8Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import {
  type DecodedFrame,
  FrameDecoder,
  type FrameFields,
  encodeFrame as oracleFrame,
} from '@wsgate/test-kit/wire';
import type { FrameSpec, MessageType } from './types.js';

// The client side of RFC 6455 for the suite: the engine under test must not judge itself, so
// nothing here comes from @wsgate/core; frames are written and read by the test-kit's oracle.

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

/** The oracle's fields for a frame spec: RSV bits numbered as Autobahn does, a random key by default. */
function oracleFields(spec: FrameSpec): FrameFields {
  const rsv = spec.rsv ?? 0;
  return {
    opcode: spec.opcode,
    payload: spec.payload,
    fin: spec.fin ?? true,
    rsv1: (rsv & 4) !== 0,
    rsv2: (rsv & 2) !== 0,
    rsv3: (rsv & 1) !== 0,
    mask: (spec.masked ?? true) ? (spec.maskKey?.subarray(0, 4) ?? true) : false,
  };
}

/** One frame with the minimal length encoding (RFC 6455 §5.2). */
export function encodeFrame(spec: FrameSpec): Buffer {
  return oracleFrame(oracleFields(spec));
}

export function encodeFrames(specs: readonly FrameSpec[]): Buffer {
  return Buffer.concat(specs.map(encodeFrame));
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

/** A frame the server sent, read by the test-kit's frame oracle. */
export type ServerFrame = DecodedFrame;

/**
 * Reads the server's frames from a byte stream. Framing errors it cannot read past (a 64-bit
 * length with its top bit set) stop it and are reported through `onError`.
 */
export class FrameReader {
  private readonly decoder = new FrameDecoder();
  private stopped = false;

  constructor(
    private readonly onFrame: (frame: ServerFrame) => void,
    private readonly onError: (message: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.stopped) return;
    this.decoder.push(chunk);
    for (;;) {
      let frame: ServerFrame | undefined;
      try {
        frame = this.decoder.next();
      } catch (error) {
        this.stopped = true;
        this.onError((error as Error).message);
        return;
      }
      if (frame === undefined) return;
      this.onFrame(frame);
    }
  }
}
