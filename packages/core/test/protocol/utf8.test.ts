import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isValidUtf8, Utf8Validator } from '../../src/protocol/utf8.js';
import { concat, hex, utf8 } from '../helpers/bytes.js';
import { propertyRuns } from '../helpers/property.js';

/** Index of the byte at which a byte-at-a-time validator first refuses, or -1. */
function firstRefusedByte(bytes: Uint8Array): number {
  const validator = new Utf8Validator();
  for (let i = 0; i < bytes.length; i++) {
    if (!validator.update(bytes, i, i + 1)) return i;
  }
  return -1;
}

/** The reference: the WHATWG decoder in fatal mode (what browsers use for text frames). */
function decodesStrictly(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// Autobahn TestSuite case 6 categories, with the index of the first byte that cannot be valid.
const validSequences: ReadonlyArray<readonly [string, string]> = [
  ['empty input', ''],
  ['ASCII', '48 65 6c 6c 6f'],
  ['the Greek word κόσμε (Autobahn 6.2)', 'ce ba e1 bd b9 cf 83 ce bc ce b5'],
  ['U+0000, the first 1-byte sequence', '00'],
  ['U+0080, the first 2-byte sequence', 'c2 80'],
  ['U+0800, the first 3-byte sequence', 'e0 a0 80'],
  ['U+10000, the first 4-byte sequence', 'f0 90 80 80'],
  ['U+007F, the last 1-byte sequence', '7f'],
  ['U+07FF, the last 2-byte sequence', 'df bf'],
  ['U+FFFF, the last 3-byte sequence', 'ef bf bf'],
  ['U+10FFFF, the last code point', 'f4 8f bf bf'],
  ['U+D7FF, just below the surrogates', 'ed 9f bf'],
  ['U+E000, just above the surrogates', 'ee 80 80'],
  ['U+FFFD, the replacement character', 'ef bf bd'],
  ['the noncharacters U+FFFE and U+FFFF', 'ef bf be ef bf bf'],
  ['U+1F600 in the middle of ASCII', '61 f0 9f 98 80 62'],
];

const invalidSequences: ReadonlyArray<readonly [string, string, number]> = [
  // stray continuation bytes
  ['a lone continuation byte 0x80', '80', 0],
  ['a lone continuation byte 0xBF', 'bf', 0],
  ['a continuation byte after ASCII', '41 80', 1],
  ['a continuation byte after a complete 2-byte sequence', 'c2 80 80', 2],
  // bytes that never appear in UTF-8
  ['0xC0', 'c0', 0],
  ['0xC1', 'c1', 0],
  ['0xF5', 'f5 80 80 80', 0],
  ['0xF7', 'f7 bf bf bf', 0],
  ['0xF8 (5-byte lead)', 'f8 88 80 80 80', 0],
  ['0xFC (6-byte lead)', 'fc 84 80 80 80 80', 0],
  ['0xFE', 'fe', 0],
  ['0xFF', 'ff', 0],
  // overlong forms
  ['an overlong "/" in 2 bytes', 'c0 af', 0],
  ['the overlong maximum 2-byte form', 'c1 bf', 0],
  ['an overlong "/" in 3 bytes', 'e0 80 af', 1],
  ['the overlong maximum 3-byte form', 'e0 9f bf', 1],
  ['an overlong "/" in 4 bytes', 'f0 80 80 af', 1],
  ['the overlong maximum 4-byte form', 'f0 8f bf bf', 1],
  ['an overlong NUL in 2 bytes', 'c0 80', 0],
  // UTF-16 surrogates D800-DFFF
  ['U+D800', 'ed a0 80', 1],
  ['U+DB7F', 'ed ad bf', 1],
  ['U+DB80', 'ed ae 80', 1],
  ['U+DBFF', 'ed af bf', 1],
  ['U+DC00', 'ed b0 80', 1],
  ['U+DF80', 'ed be 80', 1],
  ['U+DFFF', 'ed bf bf', 1],
  ['a paired surrogate U+D800 U+DC00', 'ed a0 80 ed b0 80', 1],
  // above U+10FFFF
  ['U+110000', 'f4 90 80 80', 1],
  ['U+13FFFF', 'f4 bf bf bf', 1],
  [
    'κόσμε followed by U+110000 (Autobahn 6.3.1)',
    'ce ba e1 bd b9 cf 83 ce bc ce b5 f4 90 80 80 65 64',
    12,
  ],
  // truncated sequences followed by something that is not a continuation byte
  ['a 2-byte lead before ASCII', 'c2 41', 1],
  ['a 3-byte sequence cut after 2 bytes, before ASCII', 'e0 a0 41', 2],
  ['a 4-byte sequence cut after 3 bytes, before ASCII', 'f0 90 80 41', 3],
  ['a 3-byte sequence cut before another lead byte', 'e2 82 e2 82 ac', 2],
  ['a 2-byte lead before a space (Autobahn 6.14)', 'df 20', 1],
];

const truncatedAtEnd: ReadonlyArray<readonly [string, string]> = [
  ['a lone 2-byte lead', 'c2'],
  ['a 3-byte sequence missing its last byte', 'e2 82'],
  ['a 4-byte sequence missing its last byte', 'f0 9f 98'],
  ['κόσμε followed by half a character', 'ce ba e1 bd b9 cf 83 ce bc ce b5 e1 bd'],
];

describe('RFC 3629 §4 UTF-8 syntax', () => {
  test.each(validSequences)('accepts %s', (_name, fixture) => {
    const bytes = hex(fixture);
    expect(isValidUtf8(bytes)).toBe(true);
    expect(firstRefusedByte(bytes)).toBe(-1);
    expect(decodesStrictly(bytes)).toBe(true);
  });

  test.each(invalidSequences)('refuses %s (%s) at byte %i', (_name, fixture, invalidAt) => {
    const bytes = hex(fixture);
    expect(isValidUtf8(bytes)).toBe(false);
    expect(firstRefusedByte(bytes)).toBe(invalidAt);
    expect(decodesStrictly(bytes)).toBe(false);
  });

  test.each(truncatedAtEnd)(
    'accepts every byte of %s but is not at a boundary at the end',
    (_name, fixture) => {
      const bytes = hex(fixture);
      const validator = new Utf8Validator();
      expect(validator.update(bytes)).toBe(true);
      expect(validator.atBoundary).toBe(false);
      expect(isValidUtf8(bytes)).toBe(false);
    },
  );

  test('a single byte is accepted exactly when it is ASCII or a lead byte C2-F4, and only ASCII ends at a boundary', () => {
    for (let byte = 0; byte < 256; byte++) {
      const validator = new Utf8Validator();
      const accepted = validator.update(Uint8Array.of(byte));
      const leads = byte >= 0xc2 && byte <= 0xf4;
      expect(accepted, `byte ${byte.toString(16)}`).toBe(byte < 0x80 || leads);
      if (accepted) expect(validator.atBoundary, `byte ${byte.toString(16)}`).toBe(byte < 0x80);
    }
  });

  test('every 2-byte sequence agrees with the strict WHATWG decoder', () => {
    for (let first = 0; first < 256; first++) {
      for (let second = 0; second < 256; second++) {
        const bytes = Uint8Array.of(first, second);
        expect(isValidUtf8(bytes), `${first.toString(16)} ${second.toString(16)}`).toBe(
          decodesStrictly(bytes),
        );
      }
    }
  });

  test('every 3-byte sequence led by E0-EF agrees with the strict WHATWG decoder', () => {
    for (let first = 0xe0; first <= 0xef; first++) {
      for (let second = 0x70; second < 0xd0; second++) {
        for (const third of [0x41, 0x7f, 0x80, 0xbf, 0xc0]) {
          const bytes = Uint8Array.of(first, second, third);
          expect(isValidUtf8(bytes)).toBe(decodesStrictly(bytes));
        }
      }
    }
  });

  test('every 4-byte sequence led by F0-F4 agrees with the strict WHATWG decoder', () => {
    for (let first = 0xf0; first <= 0xf4; first++) {
      for (let second = 0x70; second < 0xd0; second++) {
        const bytes = Uint8Array.of(first, second, 0x80, 0xbf);
        expect(isValidUtf8(bytes)).toBe(decodesStrictly(bytes));
      }
    }
  });

  test('random byte strings are judged as the strict WHATWG decoder judges them', () => {
    const interesting = fc.constantFrom(
      0x00,
      0x41,
      0x7f,
      0x80,
      0x8f,
      0x90,
      0x9f,
      0xa0,
      0xbf,
      0xc0,
      0xc1,
      0xc2,
      0xdf,
      0xe0,
      0xed,
      0xef,
      0xf0,
      0xf4,
      0xf5,
      0xff,
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(interesting, fc.integer({ min: 0, max: 255 })), { maxLength: 24 }),
        (list) => {
          const bytes = Uint8Array.from(list);
          expect(isValidUtf8(bytes)).toBe(decodesStrictly(bytes));
        },
      ),
      propertyRuns(500),
    );
  });

  test('every string of Unicode scalar values encodes to valid UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (text) => {
        expect(isValidUtf8(utf8(text))).toBe(true);
      }),
      propertyRuns(300),
    );
  });
});

describe('RFC 6455 §8.1 streaming validation (fail fast, not at the end)', () => {
  const allValid = concat(...validSequences.map(([, fixture]) => hex(fixture)));

  test('valid text split at every position is accepted, and atBoundary tells whether the split fell between characters', () => {
    for (let split = 0; split <= allValid.length; split++) {
      const validator = new Utf8Validator();
      expect(validator.update(allValid, 0, split)).toBe(true);
      const between = split === allValid.length || ((allValid[split] as number) & 0xc0) !== 0x80;
      expect(validator.atBoundary, `split at ${split}`).toBe(between);
      expect(validator.update(allValid, split)).toBe(true);
      expect(validator.atBoundary).toBe(true);
    }
  });

  test.each(invalidSequences)(
    'refuses %s (%s) in the piece that holds the invalid byte, for every split point',
    (_name, fixture, invalidAt) => {
      const bytes = concat(utf8('ok '), hex(fixture), utf8(' trailing text'));
      const invalidIndex = invalidAt + 3;
      for (let split = 0; split <= bytes.length; split++) {
        const validator = new Utf8Validator();
        const firstAccepted = validator.update(bytes.slice(0, split));
        expect(firstAccepted, `split at ${split}`).toBe(split <= invalidIndex);
        if (firstAccepted) expect(validator.update(bytes.slice(split))).toBe(false);
      }
    },
  );

  test('update honours start and end offsets', () => {
    const bytes = hex('ff 41 c2 80 ff');
    const validator = new Utf8Validator();
    expect(validator.update(bytes, 1, 4)).toBe(true);
    expect(validator.atBoundary).toBe(true);
    expect(validator.update(bytes, 4, 5)).toBe(false);
  });

  test('a character split across three pieces is accepted', () => {
    const validator = new Utf8Validator();
    expect(validator.update(hex('f0'))).toBe(true);
    expect(validator.atBoundary).toBe(false);
    expect(validator.update(hex('9f 98'))).toBe(true);
    expect(validator.atBoundary).toBe(false);
    expect(validator.update(hex('80'))).toBe(true);
    expect(validator.atBoundary).toBe(true);
  });

  test('the narrowed range after E0, ED, F0 and F4 applies across a piece boundary', () => {
    for (const [lead, bad] of [
      ['e0', '9f'],
      ['ed', 'a0'],
      ['f0', '8f'],
      ['f4', '90'],
    ] as const) {
      const validator = new Utf8Validator();
      expect(validator.update(hex(lead))).toBe(true);
      expect(validator.update(hex(bad)), `${lead} | ${bad}`).toBe(false);
    }
  });

  test('the narrowed range applies only to the second byte of the sequence', () => {
    // E0 A0 80: the third byte may be 0x80 again, the second may not be below A0.
    const validator = new Utf8Validator();
    expect(validator.update(hex('e0 a0'))).toBe(true);
    expect(validator.update(hex('80'))).toBe(true);
    expect(validator.atBoundary).toBe(true);
    // After ED the third byte may be up to BF.
    expect(validator.update(hex('ed 9f bf'))).toBe(true);
  });

  test('reset forgets a partial character', () => {
    const validator = new Utf8Validator();
    expect(validator.update(hex('e0'))).toBe(true);
    validator.reset();
    expect(validator.atBoundary).toBe(true);
    // Without the reset, 0x41 would be an invalid continuation of E0.
    expect(validator.update(hex('41'))).toBe(true);
    expect(validator.update(hex('ed'))).toBe(true);
    validator.reset();
    // Without the reset, A0 after ED would be a surrogate.
    expect(validator.update(hex('c2 a0'))).toBe(true);
  });

  test('any chunking of valid UTF-8 is accepted and ends at a boundary', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (text, cuts) => {
          const bytes = utf8(text);
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const validator = new Utf8Validator();
          let start = 0;
          for (const point of [...points, bytes.length]) {
            expect(validator.update(bytes, start, point)).toBe(true);
            start = point;
          }
          expect(validator.atBoundary).toBe(true);
        },
      ),
      propertyRuns(300),
    );
  });
});
