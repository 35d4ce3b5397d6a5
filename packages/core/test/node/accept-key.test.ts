import { describe, expect, test } from 'vitest';
import { nodeAcceptKey } from '../../src/node/accept-key.js';
import { computeAcceptKey } from '../../src/protocol/accept-key.js';
import { encodeBase64 } from '../../src/protocol/base64.js';
import { patternBytes } from '../helpers/bytes.js';

describe('Sec-WebSocket-Accept with node:crypto (RFC 6455 §4.2.2)', () => {
  test('the key of the §1.3 example is answered with s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', () => {
    expect(nodeAcceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  test('node:crypto and the portable SHA-1 give the same answer for many keys', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const key = encodeBase64(patternBytes(16, seed));
      expect(nodeAcceptKey(key), key).toBe(computeAcceptKey(key));
    }
  });
});
