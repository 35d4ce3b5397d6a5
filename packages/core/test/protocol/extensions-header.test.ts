import { describe, expect, test } from 'vitest';
import {
  formatExtension,
  isToken,
  parseExtensionsHeader,
  parseSubprotocolsHeader,
} from '../../src/protocol/extensions-header.js';

describe('RFC 6455 §9.1 Sec-WebSocket-Extensions grammar', () => {
  test('parses one extension with a valueless parameter', () => {
    expect(parseExtensionsHeader('permessage-deflate; client_max_window_bits')).toEqual([
      { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
    ]);
  });

  test('parses several offers in order, with their parameters in order', () => {
    expect(
      parseExtensionsHeader(
        'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate, x-foo',
      ),
    ).toEqual([
      {
        name: 'permessage-deflate',
        params: [
          ['client_max_window_bits', true],
          ['server_max_window_bits', '10'],
        ],
      },
      { name: 'permessage-deflate', params: [] },
      { name: 'x-foo', params: [] },
    ]);
  });

  test('a quoted value is unquoted, including escaped characters', () => {
    expect(parseExtensionsHeader('x; a="10"; b="1\\0"')).toEqual([
      {
        name: 'x',
        params: [
          ['a', '10'],
          ['b', '10'],
        ],
      },
    ]);
  });

  test('a quoted value with a comma or semicolon is malformed: it does not unquote to a token', () => {
    expect(parseExtensionsHeader('x; a="1,2"')).toBeUndefined();
    expect(parseExtensionsHeader('x; a="1;2", y')).toBeUndefined();
  });

  test('whitespace around names, parameters and values is ignored', () => {
    expect(parseExtensionsHeader('  x ;  a = 1 ;b ,  y  ')).toEqual([
      {
        name: 'x',
        params: [
          ['a', '1'],
          ['b', true],
        ],
      },
      { name: 'y', params: [] },
    ]);
  });

  test('empty list elements are ignored (RFC 9110 §5.6.1)', () => {
    expect(parseExtensionsHeader(', x, , y,')).toEqual([
      { name: 'x', params: [] },
      { name: 'y', params: [] },
    ]);
    expect(parseExtensionsHeader('')).toEqual([]);
  });

  test.each([
    ['an unterminated quote', 'x; a="10'],
    ['a lone quote', 'x; a="'],
    ['a quoted value that is not a token', 'x; a="1 0"'],
    ['an empty quoted value', 'x; a=""'],
    ['a name with a space', 'per message'],
    ['a name that is not a token', 'x/y'],
    ['a parameter without a name', 'x; =1'],
    ['a trailing semicolon', 'x;'],
    ['an empty value', 'x; a='],
    ['a value with a space', 'x; a=1 2'],
    ['a parameter list without a name', '; a'],
  ])('%s is malformed', (_name, value) => {
    expect(parseExtensionsHeader(value)).toBeUndefined();
  });

  test('formatExtension writes what parseExtensionsHeader reads', () => {
    const extension = {
      name: 'permessage-deflate',
      params: [
        ['server_no_context_takeover', true],
        ['client_max_window_bits', '10'],
      ] as const,
    };
    const text = formatExtension(extension);
    expect(text).toBe('permessage-deflate; server_no_context_takeover; client_max_window_bits=10');
    expect(parseExtensionsHeader(text)).toEqual([extension]);
  });
});

describe('RFC 6455 §4.1 Sec-WebSocket-Protocol', () => {
  test('an absent header offers nothing', () => {
    expect(parseSubprotocolsHeader(undefined)).toEqual([]);
  });

  test("parses a comma-separated list of tokens, in the client's order", () => {
    expect(parseSubprotocolsHeader('chat, superchat')).toEqual(['chat', 'superchat']);
    expect(parseSubprotocolsHeader('v2.chat.example,v1.chat.example')).toEqual([
      'v2.chat.example',
      'v1.chat.example',
    ]);
  });

  test('empty elements are ignored', () => {
    expect(parseSubprotocolsHeader(' , chat,, ')).toEqual(['chat']);
  });

  test.each([
    ['a space inside a protocol', 'chat v2'],
    ['a slash (a separator, not a token character)', 'chat/1'],
    ['a quoted string', '"chat"'],
    ['a semicolon', 'chat;q=1'],
  ])('%s is malformed', (_name, value) => {
    expect(parseSubprotocolsHeader(value)).toBeUndefined();
  });

  test('isToken follows RFC 9110 §5.6.2 tchar', () => {
    expect(isToken("!#$%&'*+-.^_`|~09AZaz")).toBe(true);
    for (const char of [
      '(',
      ')',
      ',',
      '/',
      ':',
      ';',
      '<',
      '=',
      '>',
      '?',
      '@',
      '[',
      '\\',
      ']',
      '{',
      '}',
      '"',
      ' ',
      '\t',
      'é',
    ]) {
      expect(isToken(`a${char}b`), char).toBe(false);
    }
    expect(isToken('')).toBe(false);
  });
});
