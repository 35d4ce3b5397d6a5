import { describe, expect, test } from 'vitest';
import {
  invalidFieldReason,
  invalidFieldValueAt,
  isFieldName,
  isFieldValue,
} from '../../src/protocol/http-field.js';

describe('RFC 9110 §5.1 field names are tokens', () => {
  test.each(['Host', 'WWW-Authenticate', "x-a.b_c~!#$%&'*+^`|"])('%j is a field name', (name) => {
    expect(isFieldName(name)).toBe(true);
  });

  test.each(['', 'X A', 'X:A', 'X\r\nY', 'X\u0000', 'Caf\u00e9', '(x)', 'a/b'])(
    '%j is not',
    (name) => {
      expect(isFieldName(name)).toBe(false);
    },
  );
});

describe('RFC 9110 §5.5 field values: visible characters, obs-text, spaces and tabs', () => {
  test.each(['', 'Bearer realm="x"', 'a\tb', ' padded ', 'caf\u00e9', '\u0080\u00ff'])(
    '%j is a field value',
    (value) => {
      expect(isFieldValue(value)).toBe(true);
    },
  );

  test.each([
    ['a\r\nSet-Cookie: x', 1],
    ['a\nb', 1],
    ['a\rb', 1],
    ['\u0000', 0],
    ['ab\u001f', 2],
    ['a\u007f', 1],
    ['\u0100', 0],
  ])('%j is not: the first bad character is at %i', (value, at) => {
    expect(isFieldValue(value)).toBe(false);
    expect(invalidFieldValueAt(value)).toBe(at);
  });
});

describe('invalidFieldReason names the first header that cannot be written, never its value', () => {
  test('undefined when every header can be written, numbers and lists included', () => {
    expect(
      invalidFieldReason({ 'Retry-After': 1, 'Set-Cookie': ['a=1', 'b=2'], 'X-None': undefined }),
    ).toBeUndefined();
  });

  test.each([
    [{ 'X-A': 'ok', 'X-B': 'a\r\nX-C: c' }, 'the value of header X-B has a line break (CR or LF)'],
    [
      { 'Set-Cookie': ['a=1', 'b=2\n'] },
      'the value of header Set-Cookie has a line break (CR or LF)',
    ],
    [{ 'X-A': 'a\u0000' }, 'the value of header X-A has the character U+0000'],
    [{ 'X-A\r\nX-B': 'b' }, 'the header name "X-A\\r\\nX-B" is not an HTTP token'],
  ])('%j: %s', (headers, reason) => {
    expect(invalidFieldReason(headers)).toBe(reason);
  });
});
