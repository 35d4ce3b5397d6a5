import { type Allocate, transmitFrame } from './frame-serializer.js';
import type { MessageCodec } from './message-codec.js';

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

function serialize(
  opcode: number,
  payload: Uint8Array,
  compressed: boolean,
  allocate: Allocate,
): Uint8Array[] {
  const parts: Uint8Array[] = [];
  transmitFrame(
    { onTransmit: (bytes) => parts.push(bytes) },
    opcode,
    payload,
    true,
    compressed,
    false,
    allocate,
  );
  return parts;
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
            later === undefined ? message.parts : serialize(message.opcode, later, true, allocate);
          made.parts = parts;
          const waiters = made.waiters ?? [];
          made.waiters = undefined;
          for (const waiter of waiters) waiter(parts);
        });
  if (now !== undefined) {
    made.parts = serialize(message.opcode, now, true, allocate);
    made.waiters = undefined;
  }
  return made;
}
