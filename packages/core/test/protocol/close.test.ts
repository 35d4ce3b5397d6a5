import { describe, expect, test } from 'vitest';
import { MAX_CLOSE_REASON_BYTES } from '../../src/errors/close-reason.js';
import {
  CloseCode,
  checkCloseArguments,
  encodeClosePayload,
  isValidWireCloseCode,
  parseClosePayload,
} from '../../src/protocol/close.js';
import { concat, hex, toHex, utf8 } from '../helpers/bytes.js';

function payload(code: number, reason: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(Uint8Array.of(code >> 8, code & 0xff), reason);
}

/** Codes a close frame may carry (RFC 6455 §7.4.1, §7.4.2 and the IANA registry). */
const validCodes = [
  1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
];
/** Reserved or unassigned codes (Autobahn 7.9.x and the ranges around them). */
const invalidCodes = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

describe('RFC 6455 §7.4 close codes on the wire', () => {
  test.each(validCodes)('code %i may be sent', (code) => {
    expect(isValidWireCloseCode(code)).toBe(true);
  });

  test.each(invalidCodes)('code %i may not be sent', (code) => {
    expect(isValidWireCloseCode(code)).toBe(false);
  });

  test('exactly 1000-1003, 1007-1014 and 3000-4999 are valid among all 16-bit codes', () => {
    const valid: number[] = [];
    for (let code = 0; code < 0x10000; code++) if (isValidWireCloseCode(code)) valid.push(code);
    expect(valid.length).toBe(4 + 8 + 2000);
    expect(valid.slice(0, 12)).toEqual([
      1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
    ]);
    expect(valid[12]).toBe(3000);
    expect(valid.at(-1)).toBe(4999);
  });

  test('the named codes match RFC 6455 §7.4.1', () => {
    expect(CloseCode).toMatchObject({
      normal: 1000,
      goingAway: 1001,
      protocolError: 1002,
      unsupportedData: 1003,
      noStatus: 1005,
      abnormal: 1006,
      invalidPayload: 1007,
      policyViolation: 1008,
      messageTooBig: 1009,
      mandatoryExtension: 1010,
      internalError: 1011,
    });
  });
});

describe('RFC 6455 §5.5.1 parsing a close payload', () => {
  test('an empty payload means no status code: 1005 and no reason', () => {
    expect(parseClosePayload(new Uint8Array(0))).toEqual({ valid: true, code: 1005, reason: '' });
  });

  test('a 1-byte payload is invalid', () => {
    expect(parseClosePayload(hex('03'))).toEqual({
      valid: false,
      fault: 'WSG_CLOSE_PAYLOAD_INVALID',
    });
  });

  test('a 2-byte payload is a code without reason', () => {
    expect(parseClosePayload(hex('03e8'))).toEqual({ valid: true, code: 1000, reason: '' });
  });

  test.each(validCodes)('code %i is accepted with its reason', (code) => {
    expect(parseClosePayload(payload(code, utf8('bye')))).toEqual({
      valid: true,
      code,
      reason: 'bye',
    });
  });

  test.each(invalidCodes)('code %i is refused as WSG_CLOSE_CODE_INVALID', (code) => {
    expect(parseClosePayload(payload(code))).toEqual({
      valid: false,
      fault: 'WSG_CLOSE_CODE_INVALID',
    });
  });

  test('a UTF-8 reason is decoded (κόσμε)', () => {
    expect(parseClosePayload(payload(1000, hex('ce ba e1 bd b9 cf 83 ce bc ce b5')))).toEqual({
      valid: true,
      code: 1000,
      reason: '\u03ba\u1f79\u03c3\u03bc\u03b5', // ό here is U+1F79, as in Markus Kuhn's sample
    });
  });

  test.each([
    ['an invalid byte', 'ff'],
    ['a surrogate', 'ed a0 80'],
    ['an overlong form', 'c0 af'],
    ['a character cut at the end of the payload', '41 e2 82'],
  ])('a reason with %s is refused as WSG_CLOSE_REASON_INVALID_UTF8', (_name, fixture) => {
    expect(parseClosePayload(payload(1000, hex(fixture)))).toEqual({
      valid: false,
      fault: 'WSG_CLOSE_REASON_INVALID_UTF8',
    });
  });

  test('the code is checked before the reason', () => {
    expect(parseClosePayload(payload(1005, hex('ff')))).toEqual({
      valid: false,
      fault: 'WSG_CLOSE_CODE_INVALID',
    });
  });
});

describe('RFC 6455 §5.5.1 building a close payload', () => {
  test('writes the code big-endian, then the UTF-8 reason', () => {
    expect(toHex(encodeClosePayload(1000, 'bye'))).toBe('03e8627965');
    expect(toHex(encodeClosePayload(4999))).toBe('1387');
  });

  test('1005 is written as an empty payload', () => {
    expect(encodeClosePayload(1005)).toHaveLength(0);
  });

  test.each([1004, 1006, 1015, 999, 5000])('refuses to write code %i with a RangeError', (code) => {
    expect(() => encodeClosePayload(code)).toThrow(RangeError);
  });

  test('a reason of 123 UTF-8 bytes fits; 124 does not (§5.5: 125-byte control payloads)', () => {
    expect(encodeClosePayload(1000, 'a'.repeat(123))).toHaveLength(125);
    expect(() => encodeClosePayload(1000, 'a'.repeat(124))).toThrow(/124 bytes/);
  });

  test('the reason limit counts UTF-8 bytes, not characters', () => {
    expect(encodeClosePayload(1000, 'é'.repeat(61))).toHaveLength(124);
    expect(() => encodeClosePayload(1000, 'é'.repeat(62))).toThrow(RangeError);
  });

  test.each(validCodes)('code %i round-trips through parseClosePayload', (code) => {
    expect(parseClosePayload(encodeClosePayload(code, 'réason ✓'))).toEqual({
      valid: true,
      code,
      reason: 'réason ✓',
    });
  });
});

describe('RFC 6455 §5.5 and §7.4: one rule for what a close frame may carry', () => {
  test('the longest reason is 123 bytes: a control payload of 125 less the 2-byte code', () => {
    expect(MAX_CLOSE_REASON_BYTES).toBe(123);
    expect(encodeClosePayload(1000, 'x'.repeat(MAX_CLOSE_REASON_BYTES)).length).toBe(125);
    expect(() => encodeClosePayload(1000, 'x'.repeat(MAX_CLOSE_REASON_BYTES + 1))).toThrow(
      `close reason is 124 bytes of UTF-8; at most ${MAX_CLOSE_REASON_BYTES} fit in a close frame (RFC 6455 §5.5)`,
    );
  });

  test('checkCloseArguments names the same fault as encodeClosePayload, and returns the reason bytes', () => {
    expect(() => checkCloseArguments(1004, '')).toThrow(
      'close code 1004 may not be sent (RFC 6455 §7.4): use 1000-1003, 1007-1014 or 3000-4999',
    );
    expect(() => encodeClosePayload(1004, '')).toThrow(
      'close code 1004 may not be sent (RFC 6455 §7.4): use 1000-1003, 1007-1014 or 3000-4999',
    );
    expect(toHex(checkCloseArguments(1000, 'ok'))).toBe('6f6b');
    expect(checkCloseArguments(CloseCode.noStatus, '').length).toBe(0);
  });
});
