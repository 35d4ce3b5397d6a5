/**
 * Streaming UTF-8 validation (RFC 3629 §4) that fails on the first invalid byte, so that a
 * connection can be failed in the middle of a frame or a fragmented message (RFC 6455 §8.1).
 */
export class Utf8Validator {
  /** Continuation bytes still expected for the current character. */
  private pending = 0;
  /** Bounds for the next continuation byte: narrower after E0, ED, F0 and F4 (RFC 3629 §4). */
  private lower = 0x80;
  private upper = 0xbf;

  /** True when the bytes seen so far end on a character boundary. */
  get atBoundary(): boolean {
    return this.pending === 0;
  }

  reset(): void {
    this.pending = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
  }

  /** Feeds bytes; returns false as soon as a byte cannot be part of valid UTF-8. */
  update(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    let pending = this.pending;
    let lower = this.lower;
    let upper = this.upper;
    let i = start;
    while (i < end) {
      const byte = bytes[i] as number;
      if (pending === 0) {
        if (byte < 0x80) {
          i++;
          // ASCII runs are the common case: skip them without touching the state.
          while (i < end && (bytes[i] as number) < 0x80) i++;
          continue;
        }
        if (byte >= 0xc2 && byte <= 0xdf) {
          pending = 1;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          pending = 2;
          if (byte === 0xe0)
            lower = 0xa0; // no overlong 3-byte forms
          else if (byte === 0xed) upper = 0x9f; // no UTF-16 surrogates
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          pending = 3;
          if (byte === 0xf0)
            lower = 0x90; // no overlong 4-byte forms
          else if (byte === 0xf4) upper = 0x8f; // nothing above U+10FFFF
        } else {
          this.pending = pending;
          return false;
        }
      } else {
        if (byte < lower || byte > upper) {
          this.pending = pending;
          return false;
        }
        lower = 0x80;
        upper = 0xbf;
        pending--;
      }
      i++;
    }
    this.pending = pending;
    this.lower = lower;
    this.upper = upper;
    return true;
  }
}

/** Validates a complete byte sequence. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const validator = new Utf8Validator();
  return validator.update(bytes) && validator.atBoundary;
}
