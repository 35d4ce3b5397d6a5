import { describe, expect, test } from 'vitest';
import {
  defaultHeadLimits,
  type HeadParseResult,
  type HttpRequestHead,
  HttpRequestParser,
  HttpResponseParser,
  headerHasToken,
} from '../../src/protocol/http-head.js';
import { concat, hex, oneByteChunks, toHex } from '../helpers/bytes.js';

function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

// The client handshake of RFC 6455 §1.2.
const rfcRequest =
  'GET /chat HTTP/1.1\r\n' +
  'Host: server.example.com\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Origin: http://example.com\r\n' +
  'Sec-WebSocket-Protocol: chat, superchat\r\n' +
  'Sec-WebSocket-Version: 13\r\n' +
  '\r\n';

function parseRequest(text: string, limits = defaultHeadLimits): HeadParseResult<HttpRequestHead> {
  return new HttpRequestParser(limits).push(latin1Bytes(text));
}

function expectMalformed(text: string): void {
  const result = parseRequest(text);
  expect(result.state, JSON.stringify(text)).toBe('failed');
  if (result.state === 'failed') expect(result.fault).toBe('WSG_REQUEST_MALFORMED');
}

function request(lines: readonly string[]): string {
  return `${lines.join('\r\n')}\r\n\r\n`;
}

describe('RFC 9112 §2-§5 request heads', () => {
  test('parses the client handshake of RFC 6455 §1.2', () => {
    const result = parseRequest(rfcRequest);
    expect(result.state).toBe('complete');
    if (result.state !== 'complete') return;
    expect(result.head.method).toBe('GET');
    expect(result.head.target).toBe('/chat');
    expect(result.head.httpVersion).toBe('1.1');
    expect({ ...result.head.headers }).toEqual({
      host: 'server.example.com',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      origin: 'http://example.com',
      'sec-websocket-protocol': 'chat, superchat',
      'sec-websocket-version': '13',
    });
    expect(result.head.rawHeaders[0]).toEqual(['Host', 'server.example.com']);
    expect(result.head.rawHeaders).toHaveLength(7);
    expect(result.rest).toHaveLength(0);
  });

  test('reports an HTTP/1.0 request as version "1.0"', () => {
    const result = parseRequest(request(['GET / HTTP/1.0', 'Host: a']));
    expect(result.state === 'complete' && result.head.httpVersion).toBe('1.0');
  });

  test('joins repeated headers with ", " in order (RFC 9110 §5.3) and keeps them apart in rawHeaders', () => {
    const result = parseRequest(
      request([
        'GET / HTTP/1.1',
        'Host: a',
        'Sec-WebSocket-Protocol: chat',
        'sec-websocket-protocol: superchat',
      ]),
    );
    if (result.state !== 'complete') throw new Error(result.state);
    expect(result.head.headers['sec-websocket-protocol']).toBe('chat, superchat');
    expect(result.head.rawHeaders.slice(1)).toEqual([
      ['Sec-WebSocket-Protocol', 'chat'],
      ['sec-websocket-protocol', 'superchat'],
    ]);
  });

  test('trims spaces and tabs around a value but keeps inner whitespace', () => {
    const result = parseRequest(request(['GET / HTTP/1.1', 'Host: \t a  b \t ', 'X-Empty:']));
    if (result.state !== 'complete') throw new Error(result.state);
    expect(result.head.headers.host).toBe('a  b');
    expect(result.head.headers['x-empty']).toBe('');
  });

  test('a header called __proto__ is an ordinary header', () => {
    const result = parseRequest(request(['GET / HTTP/1.1', '__proto__: x', 'Host: a']));
    if (result.state !== 'complete') throw new Error(result.state);
    expect(Object.entries(result.head.headers)).toContainEqual(['__proto__', 'x']);
    expect(result.head.headers.host).toBe('a');
  });

  test('bytes after the head are handed back untouched (the first frames may follow at once)', () => {
    const frames = hex('81 85 37fa213d 7f9f4d5158');
    const result = new HttpRequestParser().push(concat(latin1Bytes(rfcRequest), frames));
    expect(result.state === 'complete' && toHex(result.rest)).toBe(toHex(frames));
  });

  test('a head split across two chunks at every position parses identically, rest included', () => {
    const bytes = concat(latin1Bytes(rfcRequest), hex('8100'));
    const reference = new HttpRequestParser().push(bytes.slice());
    for (let split = 1; split < bytes.length; split++) {
      const parser = new HttpRequestParser();
      const first = parser.push(bytes.slice(0, split));
      const headComplete = split >= rfcRequest.length;
      if (headComplete) {
        expect(first.state).toBe('complete');
        continue;
      }
      expect(first.state, `split at ${split}`).toBe('incomplete');
      expect(parser.push(bytes.slice(split)), `split at ${split}`).toEqual(reference);
    }
  });

  test('a head fed one byte at a time parses identically', () => {
    const parser = new HttpRequestParser();
    const results = oneByteChunks(latin1Bytes(rfcRequest)).map((chunk) => parser.push(chunk));
    expect(results.slice(0, -1).every((r) => r.state === 'incomplete')).toBe(true);
    expect(results.at(-1)).toEqual(parseRequest(rfcRequest));
  });

  test('a chunk the caller reuses after an incomplete push does not corrupt the head', () => {
    const bytes = latin1Bytes(rfcRequest);
    const parser = new HttpRequestParser();
    const chunk = bytes.slice(0, 20);
    expect(parser.push(chunk).state).toBe('incomplete');
    chunk.fill(0x58);
    expect(parser.push(bytes.slice(20))).toEqual(parseRequest(rfcRequest));
  });
});

describe('RFC 9112 malformed request heads → WSG_REQUEST_MALFORMED', () => {
  test.each([
    ['a request line with two parts', 'GET /chat'],
    ['a request line with a double space', 'GET  /chat HTTP/1.1'],
    ['a request line with four parts', 'GET /chat HTTP/1.1 extra'],
    ['a version without a dot', 'GET /chat HTTP/11'],
    ['a lower-case protocol name', 'GET /chat http/1.1'],
    ['a two-digit major version', 'GET /chat HTTP/10.1'],
    ['a method that is not a token', 'G@T /chat HTTP/1.1'],
    ['a target with a non-ASCII byte', 'GET /caf\xe9 HTTP/1.1'],
    ['a target with a control character', 'GET /a\x01b HTTP/1.1'],
    ['an empty request line', ''],
  ])('%s', (_name, line) => {
    expectMalformed(request([line, 'Host: a']));
  });

  test('obsolete line folding is refused (RFC 9112 §5.2)', () => {
    expectMalformed(request(['GET / HTTP/1.1', 'Host: a', 'X-Long: one', ' two']));
    expectMalformed(request(['GET / HTTP/1.1', 'Host: a', 'X-Long: one', '\ttwo']));
  });

  test('whitespace between the header name and the colon is refused (RFC 9112 §5.1)', () => {
    expectMalformed(request(['GET / HTTP/1.1', 'Host : a']));
    expectMalformed(request(['GET / HTTP/1.1', 'Host\t: a']));
  });

  test.each([
    ['a header line without a colon', 'Host a'],
    ['an empty header name', ': a'],
    ['a header name with a slash', 'X/Y: a'],
    ['a NUL in a value', 'X-A: a\x00b'],
    ['a DEL in a value', 'X-A: a\x7fb'],
  ])('%s is refused', (_name, line) => {
    expectMalformed(request(['GET / HTTP/1.1', 'Host: a', line]));
  });

  test.each([
    ['a bare LF inside a header line', 'X-A: a\nX-B: b'],
    ['a bare CR inside a header line', 'X-A: a\rX-B: b'],
  ])(
    '%s is refused with the precise WSG_REQUEST_LINE_ENDING_INVALID (RFC 9112 §2.2)',
    (_name, line) => {
      const result = parseRequest(request(['GET / HTTP/1.1', 'Host: a', line]));
      expect(result.state === 'failed' && result.fault).toBe('WSG_REQUEST_LINE_ENDING_INVALID');
    },
  );

  test('obs-text (bytes 0x80-0xFF) in a value is accepted as latin1', () => {
    const result = parseRequest(request(['GET / HTTP/1.1', 'Host: a', 'X-Name: caf\xe9']));
    expect(result.state === 'complete' && result.head.headers['x-name']).toBe('café');
  });

  test('bytes 0x80-0x9F are latin1 too (U+0080-U+009F), not windows-1252', () => {
    const result = parseRequest(request(['GET / HTTP/1.1', 'Host: a', 'X-Name: \x80\x9f\xa0']));
    expect(result.state === 'complete' && result.head.headers['x-name']).toBe('\u0080\u009f\u00a0');
  });

  test('the header count, a bad line and a good line: the count is reported first', () => {
    const limits = { maxHeaderBytes: 1000, maxHeaderCount: 2 };
    const result = parseRequest(request(['GET / HTTP/1.1', 'Bad line', 'A: 1', 'B: 2']), limits);
    expect(result.state === 'failed' && result.fault).toBe('WSG_HEADERS_TOO_LARGE');
    expect(result.state === 'failed' && result.detail).toBe(
      '3 header lines; at most 2 are accepted',
    );
    const bad = parseRequest(request(['GET / HTTP/1.1', 'A: 1', 'Bad line']), limits);
    expect(bad.state === 'failed' && bad.detail).toBe('invalid header line "Bad line"');
  });
});

describe('head limits → WSG_HEADERS_TOO_LARGE', () => {
  const limits = { maxHeaderBytes: 200, maxHeaderCount: 3 };

  test('a head of exactly maxHeaderBytes is accepted, one byte more is refused', () => {
    const base = request(['GET / HTTP/1.1', 'Host: a', 'X-Pad: ']);
    const fill = 'x'.repeat(200 - base.length);
    const exact = request(['GET / HTTP/1.1', 'Host: a', `X-Pad: ${fill}`]);
    expect(exact.length).toBe(200);
    expect(parseRequest(exact, limits).state).toBe('complete');
    const over = request(['GET / HTTP/1.1', 'Host: a', `X-Pad: ${fill}x`]);
    const result = parseRequest(over, limits);
    expect(result.state === 'failed' && result.fault).toBe('WSG_HEADERS_TOO_LARGE');
  });

  test('a head that never ends is refused as soon as more than maxHeaderBytes are buffered', () => {
    const parser = new HttpRequestParser(limits);
    expect(parser.push(latin1Bytes(`GET / HTTP/1.1\r\nX-A: ${'a'.repeat(150)}`)).state).toBe(
      'incomplete',
    );
    const result = parser.push(latin1Bytes('b'.repeat(60)));
    expect(result.state === 'failed' && result.fault).toBe('WSG_HEADERS_TOO_LARGE');
  });

  test('bytes after a complete head do not count towards the limit', () => {
    const head = request(['GET / HTTP/1.1', 'Host: a']);
    const result = new HttpRequestParser(limits).push(
      concat(latin1Bytes(head), new Uint8Array(1000)),
    );
    expect(result.state === 'complete' && result.rest.length).toBe(1000);
  });

  test('maxHeaderCount header lines are accepted, one more is refused', () => {
    expect(parseRequest(request(['GET / HTTP/1.1', 'Host: a', 'A: 1', 'B: 2']), limits).state).toBe(
      'complete',
    );
    const result = parseRequest(
      request(['GET / HTTP/1.1', 'Host: a', 'A: 1', 'B: 2', 'C: 3']),
      limits,
    );
    expect(result.state === 'failed' && result.fault).toBe('WSG_HEADERS_TOO_LARGE');
    expect(result.state === 'failed' && result.detail).toMatch(/4 header lines; at most 3/);
  });

  test('the default limits are 16 KiB and 100 header lines', () => {
    expect(defaultHeadLimits).toEqual({ maxHeaderBytes: 16 * 1024, maxHeaderCount: 100 });
    const lines = ['GET / HTTP/1.1', ...Array.from({ length: 101 }, (_, i) => `X-${i}: v`)];
    expect(parseRequest(request(lines)).state).toBe('failed');
  });
});

describe('RFC 9112 §4 response heads', () => {
  const rfcResponse =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n';

  test('parses the server handshake of RFC 6455 §1.2 and keeps the frames that follow', () => {
    const result = new HttpResponseParser().push(
      concat(latin1Bytes(rfcResponse), hex('8105 48656c6c6f')),
    );
    if (result.state !== 'complete') throw new Error(result.state);
    expect(result.head.httpVersion).toBe('1.1');
    expect(result.head.status).toBe(101);
    expect(result.head.statusText).toBe('Switching Protocols');
    expect(result.head.headers['sec-websocket-accept']).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(toHex(result.rest)).toBe('810548656c6c6f');
  });

  test('accepts a status line without a reason phrase', () => {
    const result = new HttpResponseParser().push(latin1Bytes('HTTP/1.1 404\r\n\r\n'));
    expect(result.state === 'complete' && [result.head.status, result.head.statusText]).toEqual([
      404,
      '',
    ]);
  });

  test.each([
    ['a four-digit status', 'HTTP/1.1 1011 Oops'],
    ['another protocol', 'ICY 200 OK'],
    ['a missing status', 'HTTP/1.1'],
    ['a status that is not a number', 'HTTP/1.1 abc Nope'],
  ])('refuses %s as WSG_REQUEST_MALFORMED', (_name, line) => {
    const result = new HttpResponseParser().push(latin1Bytes(`${line}\r\n\r\n`));
    expect(result.state === 'failed' && result.fault).toBe('WSG_REQUEST_MALFORMED');
  });
});

describe('RFC 9110 §5.6.1 token lists', () => {
  test.each([
    ['Upgrade', 'upgrade', true],
    ['keep-alive, Upgrade', 'upgrade', true],
    ['keep-alive,upgrade', 'upgrade', true],
    ['  UPGRADE  ', 'upgrade', true],
    ['keep-alive', 'upgrade', false],
    ['Upgrade-Insecure-Requests', 'upgrade', false],
    ['websocket/13', 'websocket', false],
    ['', 'upgrade', false],
  ])('%j contains %s: %s', (value, token, contains) => {
    expect(headerHasToken(value, token)).toBe(contains);
  });

  test('an absent header contains no token', () => {
    expect(headerHasToken(undefined, 'upgrade')).toBe(false);
  });
});

describe('RFC 9112 §3 a head that cannot be HTTP fails at its first byte', () => {
  test('names a TLS ClientHello sent to a plain port', () => {
    const result = new HttpRequestParser().push(
      new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]),
    );
    expect(result).toMatchObject({ state: 'failed', fault: 'WSG_REQUEST_MALFORMED' });
    expect(result.state === 'failed' && result.detail).toMatch(/TLS/);
  });

  test('refuses a control byte at the start without waiting for more', () => {
    const result = new HttpRequestParser().push(new Uint8Array([0x00]));
    expect(result).toMatchObject({ state: 'failed', fault: 'WSG_REQUEST_MALFORMED' });
  });
});

describe('RFC 9112 §2.2 line endings: anything but CRLF fails the head at once', () => {
  function failure(bytes: Uint8Array): string | undefined {
    const result = new HttpRequestParser().push(bytes);
    return result.state === 'failed' ? result.fault : result.state;
  }

  test.each([
    // GET / HTTP/1.1 LF Host: a LF LF
    ['bare LF line endings', '474554202f20485454502f312e310a 486f73743a20610a 0a'],
    // GET / HTTP/1.1 CR LF Host: a LF (no end of the head yet)
    ['one header line ending with a bare LF', '474554202f20485454502f312e310d0a 486f73743a20610a'],
    // GET / HTTP/1.1 CR Host: a
    ['a bare CR after the request line', '474554202f20485454502f312e310d 486f73743a2061'],
  ])('%s: WSG_REQUEST_LINE_ENDING_INVALID', (_name, fixture) => {
    expect(failure(hex(fixture))).toBe('WSG_REQUEST_LINE_ENDING_INVALID');
  });

  test('a bare LF is found whichever chunk it arrives in, one byte at a time', () => {
    const parser = new HttpRequestParser();
    const bytes = latin1Bytes('GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n');
    const states = [...bytes].map((byte) => parser.push(Uint8Array.of(byte)).state);
    // The LF after "Host: a" is byte 24 (0-based 23): the head fails there, not at its end.
    expect(states.indexOf('failed')).toBe(23);
  });

  test('a CR at the end of a chunk waits for the next byte', () => {
    const parser = new HttpRequestParser();
    expect(parser.push(latin1Bytes('GET / HTTP/1.1\r')).state).toBe('incomplete');
    expect(parser.push(latin1Bytes('\nHost: a\r\n\r\n')).state).toBe('complete');
  });

  test('responses keep their lenient reading (the client side is unchanged)', () => {
    const result = new HttpResponseParser().push(latin1Bytes('HTTP/1.1 200 OK\nX: y\r\n\r\n'));
    expect(result.state).not.toBe('complete');
  });
});

describe('RFC 9112 §6.1, §6.3 ambiguous body framing → WSG_REQUEST_FRAMING_INVALID', () => {
  function fault(lines: readonly string[]): string {
    const result = parseRequest(request(['GET / HTTP/1.1', 'Host: a', ...lines]));
    return result.state === 'failed' ? result.fault : result.state;
  }

  test.each([
    [['Content-Length: 0', 'Content-Length: 0']],
    [['Content-Length: 0', 'content-length: 16']],
    [['Content-Length: 16', 'Transfer-Encoding: chunked']],
    [['Transfer-Encoding: chunked', 'Content-Length: 0']],
    [['Content-Length: 0x10']],
    [['Content-Length: 1,1']],
    [['Content-Length: -1']],
  ])('%j is refused', (lines) => {
    expect(fault(lines)).toBe('WSG_REQUEST_FRAMING_INVALID');
  });

  test.each([
    [[]],
    [['Content-Length: 0']],
    [['Content-Length: 16']],
    [['Transfer-Encoding: chunked']],
  ])(
    '%j is unambiguous: the head parses (whether a body is welcome is the handshake’s call)',
    (lines) => {
      expect(fault(lines)).toBe('complete');
    },
  );

  test('the fixture of the smuggling attempt: Content-Length 16 and chunked, then a masked frame', () => {
    const head = latin1Bytes(
      request(['GET / HTTP/1.1', 'Host: a', 'Content-Length: 16', 'Transfer-Encoding: chunked']),
    );
    // A masked binary frame of 10 bytes: 82 8a, key 00000000, payload.
    const frame = hex('828a 00000000 30313233343536373839');
    const result = new HttpRequestParser().push(concat(head, frame));
    expect(result.state).toBe('failed');
    if (result.state === 'failed') {
      expect(result.fault).toBe('WSG_REQUEST_FRAMING_INVALID');
      expect(result.detail).toBe('both Content-Length and Transfer-Encoding');
    }
  });
});

describe('RFC 9112 §2.3 HTTP versions', () => {
  function outcome(version: string): string {
    const result = parseRequest(request([`GET / ${version}`, 'Host: a']));
    if (result.state === 'incomplete') return result.state;
    return result.state === 'failed' ? result.fault : result.head.httpVersion;
  }

  test.each([
    ['HTTP/1.1', '1.1'],
    ['HTTP/1.0', '1.0'],
    // Older versions parse: the handshake refuses them with WSG_HTTP_VERSION_UNSUPPORTED.
    ['HTTP/0.9', '0.9'],
  ])('%s parses as version %s', (version, parsed) => {
    expect(outcome(version)).toBe(parsed);
  });

  test.each(['HTTP/9.9', 'HTTP/2.0', 'HTTP/3.0', 'HTTP/1.2', 'HTTP/1.9'])(
    '%s is refused with WSG_HTTP_VERSION_UNKNOWN',
    (version) => {
      expect(outcome(version)).toBe('WSG_HTTP_VERSION_UNKNOWN');
    },
  );
});
