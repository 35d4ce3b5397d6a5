/**
 * An independent, deliberately simple frame encoder and decoder (RFC 6455 §5.2), so that the
 * parser, serializer and session are checked against code that is not their own.
 */

export interface TestFrame {
  readonly opcode: number;
  readonly payload?: Uint8Array;
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  readonly rsv2?: boolean;
  readonly rsv3?: boolean;
  /** The 4-byte masking key, or undefined for an unmasked frame. */
  readonly mask?: Uint8Array | undefined;
}

/** The masking key of the RFC 6455 §5.7 examples. */
export const RFC_MASK = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

/** Header bytes only (no payload), with the minimal length encoding. */
export function frameHeader(frame: TestFrame, payloadLength: number): Uint8Array {
  const lengthBytes = payloadLength < 126 ? 0 : payloadLength < 0x10000 ? 2 : 8;
  const header = new Uint8Array(2 + lengthBytes + (frame.mask ? 4 : 0));
  header[0] =
    ((frame.fin ?? true) ? 0x80 : 0) |
    (frame.rsv1 ? 0x40 : 0) |
    (frame.rsv2 ? 0x20 : 0) |
    (frame.rsv3 ? 0x10 : 0) |
    frame.opcode;
  const maskBit = frame.mask ? 0x80 : 0;
  if (lengthBytes === 0) {
    header[1] = maskBit | payloadLength;
  } else if (lengthBytes === 2) {
    header[1] = maskBit | 126;
    header[2] = payloadLength >> 8;
    header[3] = payloadLength & 0xff;
  } else {
    header[1] = maskBit | 127;
    new DataView(header.buffer).setBigUint64(2, BigInt(payloadLength));
  }
  if (frame.mask) header.set(frame.mask, 2 + lengthBytes);
  return header;
}

/** A whole frame: header, then the payload masked with the frame's key (if any). */
export function encodeTestFrame(frame: TestFrame): Uint8Array {
  const payload = frame.payload ?? new Uint8Array(0);
  const header = frameHeader(frame, payload.length);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  for (let i = 0; i < payload.length; i++) {
    const key = frame.mask ? (frame.mask[i & 3] as number) : 0;
    out[header.length + i] = (payload[i] as number) ^ key;
  }
  return out;
}

/** A frame as a client sends it: masked (RFC 6455 §5.3), with the §5.7 key unless told. */
export function clientFrame(
  opcode: number,
  payload: Uint8Array = new Uint8Array(0),
  options: Omit<TestFrame, 'opcode' | 'payload'> = {},
): Uint8Array {
  return encodeTestFrame({ mask: RFC_MASK, ...options, opcode, payload });
}

/** A frame as a server sends it: unmasked. */
export function serverFrame(
  opcode: number,
  payload: Uint8Array = new Uint8Array(0),
  options: Omit<TestFrame, 'opcode' | 'payload' | 'mask'> = {},
): Uint8Array {
  return encodeTestFrame({ ...options, opcode, payload });
}

export interface DecodedFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly maskKey: Uint8Array | undefined;
  /** Unmasked. */
  readonly payload: Uint8Array;
}

/** Decodes a byte stream that holds whole frames only; throws on a truncated frame. */
export function decodeTestFrames(bytes: Uint8Array): DecodedFrame[] {
  const frames: DecodedFrame[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw new Error(`truncated frame header at ${at}`);
    const first = bytes[at] as number;
    const second = bytes[at + 1] as number;
    let length = second & 0x7f;
    let cursor = at + 2;
    if (length === 126) {
      length = view.getUint16(cursor);
      cursor += 2;
    } else if (length === 127) {
      length = Number(view.getBigUint64(cursor));
      cursor += 8;
    }
    const masked = (second & 0x80) !== 0;
    const maskKey = masked ? bytes.slice(cursor, cursor + 4) : undefined;
    if (masked) cursor += 4;
    if (cursor + length > bytes.length) throw new Error(`truncated frame payload at ${at}`);
    const payload = bytes.slice(cursor, cursor + length);
    if (maskKey) {
      for (let i = 0; i < payload.length; i++) {
        payload[i] = (payload[i] as number) ^ (maskKey[i & 3] as number);
      }
    }
    frames.push({
      fin: (first & 0x80) !== 0,
      rsv1: (first & 0x40) !== 0,
      rsv2: (first & 0x20) !== 0,
      rsv3: (first & 0x10) !== 0,
      opcode: first & 0x0f,
      masked,
      maskKey,
      payload,
    });
    at = cursor + length;
  }
  return frames;
}
