import { encodeFrame, encodeFrameHeader, type FrameFields, RFC_MASK } from './frame-oracle.js';

/** The frame fields other than opcode and payload, for the shorthands below. */
export type FrameOptions = Omit<FrameFields, 'opcode' | 'payload'>;

/**
 * A frame as a client sends it: masked (RFC 6455 §5.3) with the §5.7 key, so that bytes are
 * reproducible; `mask: true` draws a random key, `mask: false` sends it unmasked.
 */
export function clientFrame(
  opcode: number,
  payload: Uint8Array | string = '',
  options: FrameOptions = {},
): Buffer {
  return encodeFrame({ mask: RFC_MASK, ...options, opcode, payload });
}

/** A frame as a server sends it: unmasked (RFC 6455 §5.1). */
export function serverFrame(
  opcode: number,
  payload: Uint8Array | string = '',
  options: Omit<FrameOptions, 'mask'> = {},
): Buffer {
  return encodeFrame({ ...options, opcode, payload });
}

/**
 * A client frame's header alone, announcing a payload that is never sent (limits are checked from
 * the header). Masked, with a zero key.
 */
export function clientFrameHeader(
  opcode: number,
  payloadLength: number,
  options: Omit<FrameOptions, 'mask'> = {},
): Buffer {
  return encodeFrameHeader({ mask: new Uint8Array(4), ...options, opcode }, payloadLength);
}

/** A close frame's payload: the code in network byte order, then the reason (RFC 6455 §5.5.1). */
export function closePayload(code: number, reason: Uint8Array | string = ''): Buffer {
  const reasonBytes = typeof reason === 'string' ? Buffer.from(reason, 'utf8') : reason;
  return Buffer.concat([Buffer.from([code >> 8, code & 0xff]), reasonBytes]);
}
