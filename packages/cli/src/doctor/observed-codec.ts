import type { MessageCodec } from '@wsgate/core/protocol';

/**
 * Core's zlib codec, remembering the last message it could not inflate: the session reports
 * only that inflating failed, and the doctor quotes the bytes.
 */
export class ObservedCodec implements MessageCodec {
  /** The compressed bytes of the last message refused ('too-big' or 'invalid'). */
  refused: Buffer | undefined;

  constructor(private readonly codec: MessageCodec) {}

  compress(message: Uint8Array): Uint8Array {
    return this.codec.compress(message);
  }

  decompress(message: Uint8Array, maxOutputBytes: number): Uint8Array | 'too-big' | 'invalid' {
    const output = this.codec.decompress(message, maxOutputBytes);
    if (typeof output === 'string') this.refused = Buffer.from(message);
    return output;
  }
}
