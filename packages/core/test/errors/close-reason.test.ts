import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { catalogue, errorCodes, isClosingCode } from '../../src/errors/catalogue.js';
import {
  closeCodeFor,
  closeReasonFor,
  codeFromCloseReason,
  MAX_CLOSE_REASON_BYTES,
  truncateUtf8,
} from '../../src/errors/close-reason.js';
import { encodeClosePayload, parseClosePayload } from '../../src/protocol/close.js';
import { utf8 } from '../helpers/bytes.js';
import { propertyRuns } from '../helpers/property.js';

describe('RFC 6455 §5.5 close reasons from the catalogue', () => {
  test('a close reason holds at most 123 bytes (125 minus the 2-byte code)', () => {
    expect(MAX_CLOSE_REASON_BYTES).toBe(123);
  });

  test.each(errorCodes)(
    'the reason for %s starts with the code, fits in 123 bytes and round-trips',
    (code) => {
      const reason = closeReasonFor(code);
      expect(reason.startsWith(`${code}: `)).toBe(true);
      expect(utf8(reason).length).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
      expect(codeFromCloseReason(reason)).toBe(code);
    },
  );

  test.each(errorCodes.filter(isClosingCode).filter((code) => catalogue[code].kind === 'protocol'))(
    'the close frame for %s can be built and parsed back to its code and reason',
    (code) => {
      const parsed = parseClosePayload(
        encodeClosePayload(closeCodeFor(code), closeReasonFor(code)),
      );
      expect(parsed).toEqual({
        valid: true,
        code: catalogue[code].closeCode,
        reason: closeReasonFor(code),
      });
    },
  );

  test('the reason is the code and the title when they fit', () => {
    expect(closeReasonFor('WSG_FRAME_UNMASKED')).toBe(
      `WSG_FRAME_UNMASKED: ${catalogue.WSG_FRAME_UNMASKED.title}`,
    );
  });

  test('closeCodeFor gives the catalogue close code of protocol and lifecycle codes', () => {
    expect(closeCodeFor('WSG_TEXT_INVALID_UTF8')).toBe(1007);
    expect(closeCodeFor('WSG_MESSAGE_TOO_BIG')).toBe(1009);
    expect(closeCodeFor('WSG_SERVER_SHUTDOWN')).toBe(1001);
    expect(closeCodeFor('WSG_SERVER_STARTING')).toBe(1013);
  });

  test('handshake and client codes are not closing codes: they have no close code to fall back on', () => {
    expect(isClosingCode('WSG_NOT_WEBSOCKET')).toBe(false);
    expect(isClosingCode('WSG_DNS_FAILED')).toBe(false);
    expect(isClosingCode('WSG_INTERNAL_ERROR')).toBe(true);
  });

  test.each([
    ['a reason without a code', 'bye'],
    ['an unknown code', 'WSG_NOT_A_CODE: something'],
    ['a code without the colon', 'WSG_FRAME_UNMASKED'],
    ['a code that is not at the start', 'see WSG_FRAME_UNMASKED: x'],
    ['a lower-case code', 'wsg_frame_unmasked: x'],
    ['the empty reason', ''],
  ])('codeFromCloseReason finds nothing in %s', (_name, reason) => {
    expect(codeFromCloseReason(reason)).toBeUndefined();
  });

  test('codeFromCloseReason reads a reason with extra text after the code', () => {
    expect(codeFromCloseReason('WSG_MESSAGE_TOO_BIG: over 1 MiB')).toBe('WSG_MESSAGE_TOO_BIG');
  });
});

describe('truncateUtf8', () => {
  test('short text is unchanged', () => {
    expect(truncateUtf8('hello', 123)).toBe('hello');
    expect(truncateUtf8('é'.repeat(61), 123)).toBe('é'.repeat(61));
  });

  test('ASCII is cut at the byte limit', () => {
    expect(truncateUtf8('a'.repeat(200), 123)).toBe('a'.repeat(123));
  });

  test('2-, 3- and 4-byte characters are never split', () => {
    expect(truncateUtf8('é'.repeat(70), 123)).toBe('é'.repeat(61));
    expect(truncateUtf8('€'.repeat(50), 123)).toBe('€'.repeat(41));
    expect(truncateUtf8('😀'.repeat(40), 123)).toBe('😀'.repeat(30));
    expect(truncateUtf8(`${'a'.repeat(122)}€`, 123)).toBe('a'.repeat(122));
  });

  test('any text is cut to the longest prefix of whole characters within the limit', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.nat({ max: 130 }),
        (text, maxBytes) => {
          const cut = truncateUtf8(text, maxBytes);
          expect(text.startsWith(cut)).toBe(true);
          expect(utf8(cut).length).toBeLessThanOrEqual(maxBytes);
          if (cut !== text) {
            const next = String.fromCodePoint(text.slice(cut.length).codePointAt(0) ?? 0);
            expect(utf8(cut + next).length).toBeGreaterThan(maxBytes);
          }
        },
      ),
      propertyRuns(400),
    );
  });
});
