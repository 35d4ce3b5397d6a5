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
  decompress(message: Uint8Array, maxOutputBytes: number): Uint8Array | 'too-big' | 'invalid';
}

export interface SessionCompression {
  readonly codec: MessageCodec;
  /** Messages smaller than this are sent uncompressed. */
  readonly thresholdBytes: number;
}
