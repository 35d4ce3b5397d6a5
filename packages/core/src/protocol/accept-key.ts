import { encodeBase64 } from './base64.js';
import { writeMaskKey } from './mask.js';
import { sha1 } from './sha1.js';

/** RFC 6455 §1.3: the GUID every server appends to the client's key. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const encoder = new TextEncoder();

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2, step 5.4). */
export function computeAcceptKey(key: string): string {
  return encodeBase64(sha1(encoder.encode(key + WEBSOCKET_GUID)));
}

/** RFC 6455 §4.1: a key is base64 of exactly 16 bytes: 22 characters and "==". */
const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/;

export function isValidClientKey(key: string): boolean {
  return key.length === 24 && KEY_PATTERN.test(key);
}

/** A fresh Sec-WebSocket-Key: base64 of 16 random bytes (RFC 6455 §4.1). */
export function generateClientKey(): string {
  const bytes = new Uint8Array(16);
  for (let offset = 0; offset < 16; offset += 4) writeMaskKey(bytes, offset);
  return encodeBase64(bytes);
}
