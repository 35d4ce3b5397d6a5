import { RFC_MASK } from '@wsgate/test-kit/wire';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { applyMask, copyUnmasked, readMaskKey, writeMaskKey } from '../../src/protocol/mask.js';
import { hex, patternBytes, toHex, utf8 } from '../helpers/bytes.js';
import { propertyRuns } from '../helpers/property.js';

/** RFC 6455 §5.3 written out literally: octet i is XORed with key octet (i + phase) mod 4. */
function referenceMask(
  data: Uint8Array,
  key: Uint8Array,
  phase: number,
  start: number,
  end: number,
) {
  const out = data.slice();
  for (let i = start; i < end; i++) {
    out[i] = (data[i] as number) ^ (key[(phase + i - start) % 4] as number);
  }
  return out;
}

describe('RFC 6455 §5.3 client-to-server masking', () => {
  test('masks "Hello" with key 37 fa 21 3d into the bytes of the §5.7 example', () => {
    const data = utf8('Hello');
    applyMask(data, RFC_MASK);
    expect(toHex(data)).toBe('7f9f4d5158');
  });

  test('masking twice with the same key restores the payload', () => {
    const original = patternBytes(1000);
    const data = original.slice();
    applyMask(data, RFC_MASK);
    expect(toHex(data)).not.toBe(toHex(original));
    applyMask(data, RFC_MASK);
    expect(toHex(data)).toBe(toHex(original));
  });

  test('the phase continues the key where a previous piece stopped', () => {
    const whole = utf8('Hello, masked world!');
    applyMask(whole, RFC_MASK);
    const pieces = utf8('Hello, masked world!');
    applyMask(pieces, RFC_MASK, 0, 0, 3);
    applyMask(pieces, RFC_MASK, 3, 3, 10);
    applyMask(pieces, RFC_MASK, 10 & 3, 10, pieces.length);
    expect(toHex(pieces)).toBe(toHex(whole));
  });

  test('only the bytes between start and end change', () => {
    const data = hex('00 00 00 00 00 00 00 00');
    applyMask(data, hex('ff ff ff ff'), 0, 2, 5);
    expect(toHex(data)).toBe('0000ffffff000000');
  });

  test('the word-at-a-time path matches the byte loop on unaligned views and every phase', () => {
    const backing = patternBytes(300, 7);
    const key = hex('a1 b2 c3 d4');
    for (let offset = 0; offset < 4; offset++) {
      for (let phase = 0; phase < 4; phase++) {
        for (const length of [31, 32, 33, 64, 127, 200]) {
          const view = backing.slice().subarray(offset, offset + length);
          const expected = referenceMask(view, key, phase, 0, length);
          applyMask(view, key, phase);
          expect(toHex(view), `offset ${offset} phase ${phase} length ${length}`).toBe(
            toHex(expected),
          );
        }
      }
    }
  });

  test('the 8-byte word path matches the byte loop at every alignment, length and phase', () => {
    const key = hex('a1 b2 c3 d4');
    for (let offset = 0; offset < 8; offset++) {
      for (let phase = 0; phase < 4; phase++) {
        for (const length of [32, 39, 40, 41, 63, 64, 65, 255, 1000]) {
          const view = patternBytes(1100, offset + phase).subarray(offset, offset + length);
          const expected = referenceMask(view, key, phase, 0, length);
          applyMask(view, key, phase);
          expect(toHex(view), `offset ${offset} phase ${phase} length ${length}`).toBe(
            toHex(expected),
          );
        }
      }
    }
  });

  test('frames one after another in one buffer are each masked with their own key', () => {
    // Consecutive frames of one read share a buffer: each must see only its own bytes and key.
    const backing = patternBytes(4096, 3);
    const original = backing.slice();
    const ranges = [
      [5, 70, hex('01 02 03 04')],
      [70, 71, hex('ff 00 ff 00')],
      [71, 1500, hex('37 fa 21 3d')],
      [1500, 4090, hex('a1 b2 c3 d4')],
    ] as const;
    for (const [start, end, key] of ranges) applyMask(backing, key, 0, start, end);
    let expected = original;
    for (const [start, end, key] of ranges) expected = referenceMask(expected, key, 0, start, end);
    expect(toHex(backing)).toBe(toHex(expected));
  });

  test('long ranges match §5.3 at every alignment and phase, and leave the bytes around them alone', () => {
    const key = hex('a1 b2 c3 d4');
    for (const length of [2047, 2048, 2111, 65536, 65536 + 64 + 5, 3 * 65536 + 17]) {
      for (const [offset, phase] of [
        [0, 0],
        [3, 1],
        [5, 2],
        [14, 3],
      ] as const) {
        const backing = patternBytes(length + 40, length + offset);
        const start = offset + 7;
        const expected = referenceMask(backing, key, phase, start, start + length);
        applyMask(backing, key, phase, start, start + length);
        expect(
          Buffer.from(backing).equals(Buffer.from(expected)),
          `length ${length} offset ${offset} phase ${phase}`,
        ).toBe(true);
      }
    }
  });

  test('copyUnmasked writes the unmasked bytes at any alignment of source and target, and leaves the source and the bytes around the copy alone', () => {
    const key = hex('a1 b2 c3 d4');
    for (const length of [0, 5, 1023, 1024, 1031, 5000]) {
      for (let sourceOffset = 0; sourceOffset < 8; sourceOffset++) {
        for (let targetOffset = 0; targetOffset < 8; targetOffset++) {
          for (let phase = 0; phase < 4; phase++) {
            const source = patternBytes(length + 8, length + sourceOffset).subarray(
              sourceOffset,
              sourceOffset + length,
            );
            const before = source.slice();
            const target = new Uint8Array(length + 16).fill(0xee);
            copyUnmasked(source, readMaskKey(key), phase, target, targetOffset);
            const expected = new Uint8Array(length + 16).fill(0xee);
            expected.set(referenceMask(before, key, phase, 0, length), targetOffset);
            const where = `length ${length} source ${sourceOffset} target ${targetOffset} phase ${phase}`;
            expect(Buffer.from(target).equals(Buffer.from(expected)), where).toBe(true);
            expect(Buffer.from(source).equals(Buffer.from(before)), where).toBe(true);
          }
        }
      }
    }
  });

  test('a buffer larger than the cached view (1 MiB) is masked whole', () => {
    const data = patternBytes(1024 * 1024 + 13, 5).subarray(3);
    const expected = referenceMask(data, RFC_MASK, 2, 0, data.length);
    applyMask(data, RFC_MASK, 2);
    expect(Buffer.from(data).equals(Buffer.from(expected))).toBe(true);
  });

  test('any data, key, phase and range is masked exactly as §5.3 describes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.nat({ max: 7 }),
        fc.nat(),
        fc.nat(),
        fc.nat({ max: 3 }),
        (bytes, key, phase, a, b, offset) => {
          const backing = new Uint8Array(bytes.length + offset);
          backing.set(bytes, offset);
          const data = backing.subarray(offset);
          const start = Math.min(a, b) % (bytes.length + 1);
          const end = Math.max(start, Math.max(a, b) % (bytes.length + 1));
          const expected = referenceMask(data, key, phase & 3, start, end);
          applyMask(data, key, phase, start, end);
          expect(toHex(data)).toBe(toHex(expected));
        },
      ),
      propertyRuns(400),
    );
  });
});

describe('RFC 6455 §5.3 masking keys', () => {
  test('writeMaskKey writes exactly four bytes at the offset', () => {
    const target = new Uint8Array(12).fill(0xee);
    let sawChange = false;
    for (let attempt = 0; attempt < 8 && !sawChange; attempt++) {
      writeMaskKey(target, 4);
      sawChange = toHex(target.subarray(4, 8)) !== 'eeeeeeee';
    }
    expect(sawChange).toBe(true);
    expect(toHex(target.subarray(0, 4))).toBe('eeeeeeee');
    expect(toHex(target.subarray(8))).toBe('eeeeeeee');
  });

  test('keys are unpredictable: thousands of keys, across pool refills, are almost all distinct', () => {
    const keys = new Set<string>();
    const key = new Uint8Array(4);
    const count = 5000; // more than one 8 KiB pool of keys
    for (let i = 0; i < count; i++) {
      writeMaskKey(key, 0);
      keys.add(toHex(key));
    }
    // 5000 draws from 2^32 values give 0.003 collisions on average; a repeating pool would give thousands.
    expect(keys.size).toBeGreaterThan(count - 3);
  });
});
