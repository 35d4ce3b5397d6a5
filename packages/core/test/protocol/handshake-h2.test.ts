import { describe, expect, test } from 'vitest';
import {
  extendedConnectResponseHeaders,
  validateExtendedConnect,
} from '../../src/protocol/handshake-h2.js';
import { createDeflateNegotiator } from '../../src/protocol/permessage-deflate.js';

const valid = {
  ':method': 'CONNECT',
  ':protocol': 'websocket',
  ':scheme': 'https',
  ':path': '/chat',
  ':authority': 'example.com',
  'sec-websocket-version': '13',
};

function withHeaders(headers: Record<string, string | undefined>) {
  return { headers: { ...valid, ...headers } };
}

describe('validateExtendedConnect (RFC 8441 §4, §5)', () => {
  test('accepts an extended CONNECT for websocket with version 13', () => {
    expect(validateExtendedConnect({ headers: valid })).toEqual({
      accepted: true,
      subprotocol: undefined,
      extension: undefined,
      extensionsHeader: undefined,
    });
  });

  test.each([
    [
      'a CONNECT without :protocol (a tunnel)',
      { ':protocol': undefined },
      'WSG_H2_PROTOCOL_MISSING',
    ],
    ['another :protocol', { ':protocol': 'webtransport' }, 'WSG_H2_PROTOCOL_UNSUPPORTED'],
    [':protocol with GET', { ':method': 'GET' }, 'WSG_REQUEST_MALFORMED'],
    ['no :scheme', { ':scheme': undefined }, 'WSG_REQUEST_MALFORMED'],
    ['no :path', { ':path': undefined }, 'WSG_REQUEST_MALFORMED'],
    ['an empty :authority', { ':authority': '' }, 'WSG_REQUEST_MALFORMED'],
    ['no Sec-WebSocket-Version', { 'sec-websocket-version': undefined }, 'WSG_VERSION_UNSUPPORTED'],
    ['Sec-WebSocket-Version: 8', { 'sec-websocket-version': '8' }, 'WSG_VERSION_UNSUPPORTED'],
    [
      'a Sec-WebSocket-Key',
      { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      'WSG_H2_KEY_UNEXPECTED',
    ],
    ['a Sec-WebSocket-Accept', { 'sec-websocket-accept': 'x' }, 'WSG_H2_KEY_UNEXPECTED'],
  ] as const)('refuses %s with %s', (_name, headers, code) => {
    const outcome = validateExtendedConnect(withHeaders(headers));
    expect(outcome.accepted).toBe(false);
    expect(outcome.accepted ? undefined : outcome.code).toBe(code);
  });

  test(':protocol compares case-insensitively, as the Upgrade token does', () => {
    expect(validateExtendedConnect(withHeaders({ ':protocol': 'WebSocket' })).accepted).toBe(true);
  });

  test('Origin, subprotocols and extensions are negotiated as over HTTP/1.1', () => {
    const policy = {
      origins: ['https://app.example'],
      subprotocols: ['chat.v2', 'chat.v1'],
      extensions: createDeflateNegotiator(),
    };
    const refused = validateExtendedConnect(
      withHeaders({ origin: 'https://evil.example' }),
      policy,
    );
    expect(refused.accepted ? undefined : refused.code).toBe('WSG_ORIGIN_REFUSED');
    const accepted = validateExtendedConnect(
      withHeaders({
        origin: 'https://app.example',
        'sec-websocket-protocol': 'chat.v1, chat.v2',
        'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
      }),
      policy,
    );
    expect(accepted.accepted && accepted.subprotocol).toBe('chat.v2');
    expect(accepted.accepted && accepted.extensionsHeader).toMatch(/^permessage-deflate/);
  });
});

describe('extendedConnectResponseHeaders', () => {
  test('answers 200 with the agreed subprotocol and extensions, names in lower case', () => {
    expect(
      extendedConnectResponseHeaders(
        { subprotocol: 'chat', extensionsHeader: 'permessage-deflate' },
        { 'Set-Cookie': ['a=1', 'b=2'], 'X-Trace': 'abc' },
      ),
    ).toEqual({
      ':status': 200,
      'sec-websocket-protocol': 'chat',
      'sec-websocket-extensions': 'permessage-deflate',
      'set-cookie': ['a=1', 'b=2'],
      'x-trace': 'abc',
    });
  });

  test('leaves out connection-specific fields (RFC 9113 §8.2.2)', () => {
    const headers = extendedConnectResponseHeaders(
      { subprotocol: undefined, extensionsHeader: undefined },
      { Connection: 'close', Upgrade: 'websocket', 'Keep-Alive': 'timeout=5' },
    );
    expect(headers).toEqual({ ':status': 200 });
  });

  test('throws a TypeError for a header value with a line break', () => {
    expect(() =>
      extendedConnectResponseHeaders(
        { subprotocol: undefined, extensionsHeader: undefined },
        { 'x-bad': 'a\r\nb' },
      ),
    ).toThrow(TypeError);
  });
});
