import { type Allocate, encodeFrame } from './frame-serializer.js';
import type { MessageCodec, SessionCompression } from './message-codec.js';

/**
 * A message sent to many connections (a topic's), serialized once: its uncompressed frame fits
 * every server session (RFC 6455 §5.1: servers never mask; RFC 7692 §6: a message may go
 * uncompressed whatever was negotiated), and its compressed frame is made once, without
 * context, for every session whose codec has the same `sharedCompressionKey`.
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

/**
 * A compressed frame of a shared message: its parts once ready (`failed` when compressing
 * failed), and until then the sessions waiting for it.
 */
export interface SharedCompressedFrame {
  parts: readonly Uint8Array[] | undefined;
  failed: boolean;
  waiters: ((frame: SharedCompressedFrame) => void)[] | undefined;
}

/**
 * The message's compressed frame for codecs with `key`, compressed by `codec` the first time it
 * is asked (on the event loop when short, else off it).
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
  const made: SharedCompressedFrame = { parts: undefined, failed: false, waiters: [] };
  frame = made;
  message.compressed.set(key, made);
  const now = (codec.compressShared as NonNullable<MessageCodec['compressShared']>).call(
    codec,
    message.payload,
    (later) => {
      if (later === undefined) made.failed = true;
      else made.parts = encodeFrame(message.opcode, later, { rsv1: true, allocate });
      const waiters = made.waiters ?? [];
      made.waiters = undefined;
      for (const waiter of waiters) waiter(made);
    },
  );
  if (now !== undefined) {
    made.parts = encodeFrame(message.opcode, now, { rsv1: true, allocate });
    made.waiters = undefined;
  }
  return made;
}

/**
 * How a server session sends a shared message: these parts now (`message.parts`, uncompressed,
 * or the shared compressed frame when it is ready), or once the shared compressed frame is. A
 * session waits for one compression at a time: while one runs (`waiting`), shared messages go
 * uncompressed behind it (RFC 7692 §6 allows any message to), so a publisher faster than
 * compression never piles work up.
 */
export function sharedFrameFor(
  message: SharedMessage,
  compression: SessionCompression | undefined,
  waiting: boolean,
  allocate: Allocate,
): readonly Uint8Array[] | SharedCompressedFrame {
  if (compression === undefined || message.payload.length < compression.thresholdBytes)
    return message.parts;
  const codec = compression.codec;
  const key = codec.sharedCompressionKey;
  if (key === undefined || codec.compressShared === undefined) return message.parts;
  const frame = sharedCompressedFrame(message, codec, key, allocate);
  if (frame.parts !== undefined || frame.failed || waiting) return frame.parts ?? message.parts;
  return frame;
}
