import { type ClosingCode, catalogue, type ErrorCode } from './catalogue.js';

/** RFC 6455 §5.5: a control frame payload is at most 125 bytes, 2 of which hold the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

const encoder = new TextEncoder();

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

/** The close reason sent with a catalogue error: its code and title, within 123 bytes. */
export function closeReasonFor(code: ErrorCode): string {
  return truncateUtf8(`${code}: ${catalogue[code].title}`, MAX_CLOSE_REASON_BYTES);
}

/** The close code a connection is closed with for `code`. */
export function closeCodeFor(code: ClosingCode): number {
  return catalogue[code].closeCode;
}

/** Recovers the catalogue code from a close reason written by `closeReasonFor`. */
export function codeFromCloseReason(reason: string): ErrorCode | undefined {
  const match = /^(WSG_[A-Z0-9_]+):/.exec(reason);
  const code = match?.[1];
  return code !== undefined && Object.hasOwn(catalogue, code) ? (code as ErrorCode) : undefined;
}
