/**
 * The compression codec a session uses once permessage-deflate is agreed (RFC 7692). The
 * protocol layer owns the rules (RSV1, which frames, limits); the codec comes from the I/O layer
 * (Node's zlib), so the protocol stays free of platform modules.
 */
export interface MessageCodec {
  /** Compresses a whole message, returning DEFLATE data without the 00 00 ff ff tail (RFC 7692 §7.2.1). */
  compress(message: Uint8Array): Uint8Array;
  /**
   * Inflates a whole compressed message, appending the tail first (RFC 7692 §7.2.2). Output
   * beyond `maxOutputBytes` is refused while inflating, never held whole.
   */
  decompress(message: Uint8Array, maxOutputBytes: number): InflateResult;
  /**
   * Optional: `compress`, possibly off the event loop. Returns the data now, or undefined and
   * calls `later` exactly once, never before returning, with the data (undefined when
   * compressing failed). Successive calls take over context in call order, whichever answers
   * first: the session sends the results in that order.
   */
  compressOrDefer?(
    message: Uint8Array,
    later: (compressed: Uint8Array | undefined) => void,
  ): Uint8Array | undefined;
  /**
   * Optional: `decompress`, possibly off the event loop: returns the result now, or undefined
   * and calls `later` exactly once. The session reads nothing more until it answered.
   */
  decompressOrDefer?(
    message: Uint8Array,
    maxOutputBytes: number,
    later: (result: InflateResult) => void,
  ): InflateResult | undefined;
  /**
   * Codecs with the same key turn a message compressed without context (`compressShared`) into
   * the same bytes, which any of them may send: DEFLATE data that refers to nothing before the
   * message is valid for every peer, context takeover or not (RFC 7692 §7.2.3 only lets a
   * message refer back). A topic message is compressed once for all such connections.
   */
  readonly sharedCompressionKey?: string | undefined;
  /** Compresses without context, now or later (as compressOrDefer); the window is untouched. */
  compressShared?(
    message: Uint8Array,
    later: (compressed: Uint8Array | undefined) => void,
  ): Uint8Array | undefined;
  /**
   * The peer is sent `message` compressed by `compressShared`: with context takeover its window
   * now holds it, so ours must too. Called in send order.
   */
  sentShared?(message: Uint8Array): void;
}

/** An inflated message, or why there is none. */
export type InflateResult = Uint8Array | 'too-big' | 'invalid';

export interface SessionCompression {
  readonly codec: MessageCodec;
  /** Messages smaller than this are sent uncompressed. */
  readonly thresholdBytes: number;
}
