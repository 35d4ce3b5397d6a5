import { type Allocate, encodeFrame } from './frame-serializer.js';
import type { MessageCodec, SessionCompression } from './message-codec.js';

/**
 * A message sent to many connections (a topic's), serialized once: its uncompressed frame fits
 * every server session (RFC 6455 §5.1: servers never mask; RFC 7692 §6: a message may go
 * uncompressed whatever was negotiated), and its compressed frame is made once for every
 * session whose codec keeps no context between messages, per `sharedCompressionKey`.
 */
export interface SharedMessage {
  readonly opcode: number;
  readonly payload: Uint8Array;
  /** The uncompressed frame, serialized. */
  readonly parts: readonly Uint8Array[];
  /** The uncompressed frame's size. */
  readonly bytes: number;
  /** Compressed frames made for this message, by sharedCompressionKey. */
  compressed?: Map<string, SharedCompressedFrame>;
}

/** A compressed frame of a shared message: ready, or the sessions waiting for it. */
export interface SharedCompressedFrame {
  parts: readonly Uint8Array[] | undefined;
  waiters: ((parts: readonly Uint8Array[]) => void)[] | undefined;
}

/**
 * The message's compressed frame for codecs with `key`: compressed with `codec` the first time
 * it is asked (on the event loop when short, else off it). When it failed to compress, the
 * uncompressed frame stands in for it.
 */
export function sharedCompressedFrame(
  message: SharedMessage,
  codec: MessageCodec,
  key: string,
  allocate: Allocate,
): SharedCompressedFrame {
  message.compressed ??= new Map();
  let frame = message.compressed.get(key);
  if (frame !== undefined) return frame;
  const made: SharedCompressedFrame = { parts: undefined, waiters: [] };
  frame = made;
  message.compressed.set(key, made);
  const compress = codec.compressOrDefer;
  const now =
    compress === undefined
      ? codec.compress(message.payload)
      : compress.call(codec, message.payload, (later) => {
          const parts =
            later === undefined
              ? message.parts
              : encodeFrame(message.opcode, later, { rsv1: true, allocate });
          made.parts = parts;
          const waiters = made.waiters ?? [];
          made.waiters = undefined;
          for (const waiter of waiters) waiter(parts);
        });
  if (now !== undefined) {
    made.parts = encodeFrame(message.opcode, now, { rsv1: true, allocate });
    made.waiters = undefined;
  }
  return made;
}

/**
 * How a server session sends a shared message: these parts now (uncompressed, or the shared
 * compressed frame when ready), the shared compressed frame once it is, or compressed for the
 * session alone when our side takes over context. A session waits for one compression at a
 * time: while one runs (`waiting`), shared messages go uncompressed behind it (RFC 7692 §6
 * allows any message to), so a publisher faster than compression never piles work up.
 */
export function sharedFrameFor(
  message: SharedMessage,
  compression: SessionCompression | undefined,
  waiting: boolean,
  allocate: Allocate,
): readonly Uint8Array[] | SharedCompressedFrame | 'compress-for-session' {
  if (compression === undefined || message.payload.length < compression.thresholdBytes)
    return message.parts;
  const codec = compression.codec;
  const key = codec.sharedCompressionKey;
  if (key === undefined) return waiting ? message.parts : 'compress-for-session';
  const frame = sharedCompressedFrame(message, codec, key, allocate);
  if (frame.parts !== undefined) return frame.parts;
  return waiting ? message.parts : frame;
}
