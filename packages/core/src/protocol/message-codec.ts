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
   * calls `later` exactly once with the data (undefined when compressing failed). `offLoop`
   * asks for the deferred path whatever the size. Successive calls take over context in call
   * order, whichever answers first: the session sends the results in that order.
   */
  compressOrDefer?(
    message: Uint8Array,
    later: (compressed: Uint8Array | undefined) => void,
    offLoop?: boolean,
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
   * Set when what this codec sends keeps no context between messages (no context takeover on
   * our side): codecs with the same key compress a message into the same bytes, so a message
   * for many connections (a topic's) is compressed once for all of them.
   */
  readonly sharedCompressionKey?: string | undefined;
}

/** An inflated message, or why there is none. */
export type InflateResult = Uint8Array | 'too-big' | 'invalid';

export interface SessionCompression {
  readonly codec: MessageCodec;
  /** Messages smaller than this are sent uncompressed. */
  readonly thresholdBytes: number;
}
