import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encodeBase64 } from '../../src/protocol/base64.js';
import { hex, utf8 } from '../helpers/bytes.js';
import { propertyRuns } from '../helpers/property.js';

describe('RFC 4648 §4 base64 with padding', () => {
  test.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ])('encodes the RFC 4648 §10 test vector "%s" as "%s"', (input, output) => {
    expect(encodeBase64(utf8(input))).toBe(output);
  });

  test('uses + and / for the values 62 and 63', () => {
    expect(encodeBase64(hex('fb ff bf'))).toBe('+/+/');
    expect(encodeBase64(hex('ff'))).toBe('/w==');
  });

  test('encodes the 16-byte nonce of RFC 6455 §1.3 as its key', () => {
    expect(encodeBase64(utf8('the sample nonce'))).toBe('dGhlIHNhbXBsZSBub25jZQ==');
  });

  test('agrees with Buffer on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      }),
      propertyRuns(300),
    );
  });
});
