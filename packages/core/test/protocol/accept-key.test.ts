import { describe, expect, test } from 'vitest';
import {
  computeAcceptKey,
  generateClientKey,
  isValidClientKey,
  WEBSOCKET_GUID,
} from '../../src/protocol/accept-key.js';
import { encodeBase64 } from '../../src/protocol/base64.js';
import { patternBytes } from '../helpers/bytes.js';

describe('RFC 6455 §1.3 / §4.2.2 Sec-WebSocket-Accept', () => {
  test('the key of the §1.3 example is answered with s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', () => {
    expect(computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  test('the GUID is the one of §1.3', () => {
    expect(WEBSOCKET_GUID).toBe('258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
  });

  test('the answer is base64 of a 20-byte SHA-1 digest and changes with the key', () => {
    const accept = computeAcceptKey('AQIDBAUGBwgJCgsMDQ4PEA==');
    expect(accept).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    expect(accept).not.toBe(computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ=='));
  });
});

describe('RFC 6455 §4.1 Sec-WebSocket-Key', () => {
  test('base64 of 16 bytes is a valid key', () => {
    expect(isValidClientKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe(true);
    for (let seed = 1; seed < 50; seed++) {
      expect(isValidClientKey(encodeBase64(patternBytes(16, seed)))).toBe(true);
    }
  });

  test.each([
    ['an empty key', ''],
    ['base64 of 15 bytes', encodeBase64(patternBytes(15))],
    ['base64 of 17 bytes', encodeBase64(patternBytes(17))],
    ['24 characters with one padding character', 'dGhlIHNhbXBsZSBub25jZQA='],
    ['24 characters without padding', 'dGhlIHNhbXBsZSBub25jZQAA'],
    ['base64url characters', 'dGhlIHNhbXBsZSBub25j-_=='],
    ['a key with surrounding spaces', ' dGhlIHNhbXBsZSBub25jZQ== '],
    ['two keys joined with ", "', 'dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ=='],
  ])('%s is not a valid key', (_name, key) => {
    expect(isValidClientKey(key)).toBe(false);
  });

  test('generated keys are valid and differ from one another', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const key = generateClientKey();
      expect(isValidClientKey(key)).toBe(true);
      keys.add(key);
    }
    expect(keys.size).toBe(100);
  });
});
