import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { sha1 } from '../../src/protocol/sha1.js';
import { patternBytes, toHex, utf8 } from '../helpers/bytes.js';
import { propertyRuns } from '../helpers/property.js';

function nodeSha1(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

describe('RFC 3174 SHA-1', () => {
  test.each([
    ['the empty string', '', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['"abc" (RFC 3174 §7.3 TEST1)', 'abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    [
      'the 448-bit message of TEST2',
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    ],
    [
      'TEST4: "01234567" repeated 80 times',
      '01234567'.repeat(80),
      'dea356a2cddd90c7a7ecedc5ebb563934f460452',
    ],
    [
      '"The quick brown fox jumps over the lazy dog"',
      'The quick brown fox jumps over the lazy dog',
      '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12',
    ],
  ])('hashes %s', (_name, input, digest) => {
    expect(toHex(sha1(utf8(input)))).toBe(digest);
  });

  test('hashes TEST3: one million "a"', () => {
    expect(toHex(sha1(utf8('a'.repeat(1_000_000))))).toBe(
      '34aa973cd4c4daa4f61eeb2bdbad27316534016f',
    );
  });

  test('agrees with node:crypto on every length around the padding boundaries (0-130 bytes)', () => {
    for (let length = 0; length <= 130; length++) {
      const input = patternBytes(length, length + 1);
      expect(toHex(sha1(input)), `${length} bytes`).toBe(nodeSha1(input));
    }
  });

  test('agrees with node:crypto on a 1,000-byte input', () => {
    const input = patternBytes(1000);
    expect(toHex(sha1(input))).toBe(nodeSha1(input));
  });

  test('agrees with node:crypto on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (input) => {
        expect(toHex(sha1(input))).toBe(nodeSha1(input));
      }),
      propertyRuns(300),
    );
  });

  test('returns a fresh 20-byte digest and leaves the input unchanged', () => {
    const input = utf8('abc');
    const digest = sha1(input);
    expect(digest).toHaveLength(20);
    expect(toHex(input)).toBe('616263');
  });
});
