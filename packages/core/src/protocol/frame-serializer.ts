import { applyMaskKey, readMaskKey, writeMaskKey } from './mask.js';

export type Allocate = (size: number) => Uint8Array;

export const allocateZeroed: Allocate = (size) => new Uint8Array(size);

export interface FrameOptions {
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  /** Clients mask every frame (RFC 6455 §5.3); servers never do. */
  readonly mask?: boolean;
  readonly allocate?: Allocate;
}

/**
 * Payloads up to this size are copied behind their header so a frame is a single write; larger
 * ones are written after their header as they are (copying them costs more than a second write).
 */
export const MERGE_PAYLOAD_MAX_BYTES = 1024;

function headerLength(payloadLength: number, masked: boolean): number {
  const extended = payloadLength < 126 ? 0 : payloadLength < 0x10000 ? 2 : 8;
  return 2 + extended + (masked ? 4 : 0);
}

function writeHeader(
  target: Uint8Array,
  opcode: number,
  payloadLength: number,
  fin: boolean,
  rsv1: boolean,
  masked: boolean,
): number {
  target[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = masked ? 0x80 : 0;
  // RFC 6455 §5.2: the minimal number of bytes MUST be used to encode the length.
  if (payloadLength < 126) {
    target[1] = maskBit | payloadLength;
    return 2;
  }
  if (payloadLength < 0x10000) {
    target[1] = maskBit | 126;
    target[2] = payloadLength >>> 8;
    target[3] = payloadLength & 0xff;
    return 4;
  }
  target[1] = maskBit | 127;
  const high = Math.floor(payloadLength / 0x100000000);
  target[2] = high >>> 24;
  target[3] = (high >>> 16) & 0xff;
  target[4] = (high >>> 8) & 0xff;
  target[5] = high & 0xff;
  target[6] = payloadLength >>> 24;
  target[7] = (payloadLength >>> 16) & 0xff;
  target[8] = (payloadLength >>> 8) & 0xff;
  target[9] = payloadLength & 0xff;
  return 10;
}

/** Where serialized frames go: the session's handler, written to the transport in order. */
export interface FrameSink {
  onTransmit(bytes: Uint8Array): void;
}

/**
 * Serializes one frame into `sink` without intermediate arrays (the send path runs per
 * message): one buffer with header and payload together when the payload is small or masked,
 * else the header and then the caller's payload untouched, for a vectored write.
 */
export function transmitFrame(
  sink: FrameSink,
  opcode: number,
  payload: Uint8Array,
  fin: boolean,
  rsv1: boolean,
  masked: boolean,
  allocate: Allocate,
): void {
  const size = headerLength(payload.length, masked);
  if (!masked && payload.length > MERGE_PAYLOAD_MAX_BYTES) {
    const header = allocate(size);
    writeHeader(header, opcode, payload.length, fin, rsv1, false);
    sink.onTransmit(header);
    sink.onTransmit(payload);
    return;
  }
  const frame = allocate(size + payload.length);
  const offset = writeHeader(frame, opcode, payload.length, fin, rsv1, masked);
  if (masked) {
    writeMaskKey(frame, offset);
    frame.set(payload, offset + 4);
    applyMaskKey(frame, readMaskKey(frame, offset), 0, size);
  } else {
    frame.set(payload, offset);
  }
  sink.onTransmit(frame);
}

/**
 * Serializes one frame. Returns one buffer (header and payload together) when the payload is
 * small or masked, else the header and the caller's payload untouched, for a vectored write.
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  options: FrameOptions = {},
): [Uint8Array] | [Uint8Array, Uint8Array] {
  const parts: Uint8Array[] = [];
  transmitFrame(
    { onTransmit: (bytes) => parts.push(bytes) },
    opcode,
    payload,
    options.fin ?? true,
    options.rsv1 ?? false,
    options.mask ?? false,
    options.allocate ?? allocateZeroed,
  );
  return parts as [Uint8Array] | [Uint8Array, Uint8Array];
}
