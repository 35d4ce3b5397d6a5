import { describe, expect, test } from 'vitest';
import { catalogue, errorCodes, isHandshakeCode } from '../../src/errors/catalogue.js';
import {
  buildRefusal,
  serializeRefusal,
  statusText,
  wantsJson,
} from '../../src/errors/http-refusal.js';
import { type HttpResponseHead, HttpResponseParser } from '../../src/protocol/http-head.js';
import { fromUtf8, utf8 } from '../helpers/bytes.js';

const handshakeCodes = errorCodes.filter(isHandshakeCode);

/** Reads a serialized refusal back with our own HTTP response parser. */
function readBack(text: string): { head: HttpResponseHead; body: string; bodyBytes: number } {
  const result = new HttpResponseParser().push(utf8(text));
  if (result.state !== 'complete') throw new Error(`refusal does not parse: ${result.state}`);
  return { head: result.head, body: fromUtf8(result.rest), bodyBytes: result.rest.length };
}

describe('handshake refusals as HTTP responses (RFC 6455 §4.2.2, RFC 9110 §15)', () => {
  test.each(handshakeCodes.filter((code) => code !== 'WSG_AUTH_REQUIRED'))(
    '%s is answered with its status, headers, X-WSGate-Error and a plain-text body',
    (code) => {
      const entry = catalogue[code];
      const refusal = buildRefusal(code);
      expect(refusal.status).toBe(entry.status);
      expect(refusal.statusText).toBe(statusText[entry.status]);
      const { head, body, bodyBytes } = readBack(serializeRefusal(refusal));
      expect(head.httpVersion).toBe('1.1');
      expect(head.status).toBe(entry.status);
      expect(head.statusText).toBe(statusText[entry.status]);
      for (const [name, value] of Object.entries(entry.headers ?? {})) {
        expect(head.headers[name.toLowerCase()], name).toBe(value);
      }
      expect(head.headers['x-wsgate-error']).toBe(code);
      expect(head.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(head.headers['cache-control']).toBe('no-store');
      expect(head.headers['x-content-type-options']).toBe('nosniff');
      expect(head.headers['content-length']).toBe(String(bodyBytes));
      expect(head.headers.connection?.split(', ')).toContain('close');
      expect(body.split('\n')[0]).toBe(`${entry.status} ${statusText[entry.status]}: ${code}`);
      expect(body).toContain(`Cause: ${entry.cause}\n`);
      expect(body).toContain(`Fix: ${entry.fix}\n`);
    },
  );

  test('426 for a wrong version carries Sec-WebSocket-Version: 13, Upgrade: websocket and Connection: Upgrade, close', () => {
    const text = serializeRefusal(
      buildRefusal('WSG_VERSION_UNSUPPORTED', { detail: 'Sec-WebSocket-Version: 8' }),
    );
    expect(text.startsWith('HTTP/1.1 426 Upgrade Required\r\n')).toBe(true);
    const { head } = readBack(text);
    expect(head.headers['sec-websocket-version']).toBe('13');
    expect(head.headers.upgrade).toBe('websocket');
    expect(head.headers.connection).toBe('Upgrade, close');
  });

  test('426 for a plain HTTP request names websocket as the protocol to upgrade to', () => {
    const { head, body } = readBack(serializeRefusal(buildRefusal('WSG_NOT_WEBSOCKET')));
    expect(head.status).toBe(426);
    expect(head.headers.upgrade).toBe('websocket');
    expect(body).toContain('This path only speaks WebSocket');
  });

  test('405 carries Allow: GET', () => {
    const { head } = readBack(serializeRefusal(buildRefusal('WSG_METHOD_NOT_ALLOWED')));
    expect([head.status, head.headers.allow]).toEqual([405, 'GET']);
  });

  test.each([
    'WSG_TOO_MANY_CONNECTIONS',
    'WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT',
    'WSG_SERVER_SHUTTING_DOWN',
  ] as const)('503 %s carries Retry-After', (code) => {
    const { head } = readBack(serializeRefusal(buildRefusal(code)));
    expect(head.status).toBe(503);
    expect(head.headers['retry-after']).toMatch(/^\d+$/);
  });

  test('refusals without Upgrade close the connection with Connection: close', () => {
    const { head } = readBack(serializeRefusal(buildRefusal('WSG_ORIGIN_REFUSED')));
    expect(head.headers.connection).toBe('close');
  });

  test('the plain-text body is the status line, the title, the detail, the cause and the fix', () => {
    const entry = catalogue.WSG_ORIGIN_REFUSED;
    expect(
      buildRefusal('WSG_ORIGIN_REFUSED', { detail: 'Origin https://evil.example is not allowed' })
        .body,
    ).toBe(
      `403 Forbidden: WSG_ORIGIN_REFUSED\n${entry.title}.\nOrigin https://evil.example is not allowed\nCause: ${entry.cause}\nFix: ${entry.fix}\n`,
    );
    expect(buildRefusal('WSG_ORIGIN_REFUSED').body).toBe(
      `403 Forbidden: WSG_ORIGIN_REFUSED\n${entry.title}.\nCause: ${entry.cause}\nFix: ${entry.fix}\n`,
    );
  });

  test('Content-Length counts UTF-8 bytes, not characters', () => {
    const detail = 'Origin https://exämple.com ✓ 😀 is not allowed';
    const text = serializeRefusal(buildRefusal('WSG_ORIGIN_REFUSED', { detail }));
    const { head, body, bodyBytes } = readBack(text);
    expect(body).toContain(detail);
    expect(bodyBytes).toBeGreaterThan(body.length);
    expect(head.headers['content-length']).toBe(String(bodyBytes));
  });
});

describe('JSON refusals for clients that accept application/json', () => {
  test.each([
    'application/json',
    'application/problem+json',
    'text/html, application/json;q=0.9',
    'APPLICATION/JSON',
  ])('Accept: %s gets a JSON body', (accept) => {
    expect(wantsJson(accept)).toBe(true);
  });

  test.each([
    undefined,
    '',
    '*/*',
    'text/html',
    'text/plain',
    'application/jsonp',
    'application/xml',
  ])('Accept: %j gets plain text', (accept) => {
    expect(wantsJson(accept)).toBe(false);
    expect(buildRefusal('WSG_KEY_MISSING', { accept }).headers['Content-Type']).toBe(
      'text/plain; charset=utf-8',
    );
  });

  test('the JSON body names the code, status, title, detail, cause and fix', () => {
    const entry = catalogue.WSG_VERSION_UNSUPPORTED;
    const refusal = buildRefusal('WSG_VERSION_UNSUPPORTED', {
      accept: 'application/json',
      detail: 'Sec-WebSocket-Version: 8',
    });
    expect(refusal.headers['Content-Type']).toBe('application/json; charset=utf-8');
    expect(refusal.body.endsWith('\n')).toBe(true);
    expect(JSON.parse(refusal.body)).toEqual({
      error: {
        code: 'WSG_VERSION_UNSUPPORTED',
        status: 426,
        title: entry.title,
        detail: 'Sec-WebSocket-Version: 8',
        cause: entry.cause,
        fix: entry.fix,
      },
    });
    const { head, bodyBytes } = readBack(serializeRefusal(refusal));
    expect(head.headers['content-length']).toBe(String(bodyBytes));
    expect(head.headers['sec-websocket-version']).toBe('13');
  });

  test('the JSON body has no detail key without a detail', () => {
    const body = JSON.parse(buildRefusal('WSG_HOST_MISSING', { accept: 'application/json' }).body);
    expect(Object.keys(body.error)).toEqual(['code', 'status', 'title', 'cause', 'fix']);
  });
});

describe('status overrides and extra headers', () => {
  test('401 without WWW-Authenticate becomes 403 (RFC 9110 §15.5.2)', () => {
    const refusal = buildRefusal('WSG_AUTH_REQUIRED');
    expect([refusal.status, refusal.statusText]).toEqual([403, 'Forbidden']);
    expect(refusal.body.startsWith('403 Forbidden: WSG_AUTH_REQUIRED\n')).toBe(true);
    expect(readBack(serializeRefusal(refusal)).head.status).toBe(403);
  });

  test('401 with WWW-Authenticate stays 401 and carries the challenge', () => {
    const refusal = buildRefusal('WSG_AUTH_REQUIRED', {
      headers: { 'WWW-Authenticate': 'Bearer realm="ws"' },
    });
    const { head } = readBack(serializeRefusal(refusal));
    expect([head.status, head.statusText]).toEqual([401, 'Unauthorized']);
    expect(head.headers['www-authenticate']).toBe('Bearer realm="ws"');
  });

  test('the WWW-Authenticate check ignores the case of the header name (RFC 9110 §5.1)', () => {
    const refusal = buildRefusal('WSG_AUTH_REQUIRED', {
      headers: { 'www-authenticate': 'Bearer' },
    });
    expect(refusal.status).toBe(401);
  });

  test('an application status override is used, with its reason phrase', () => {
    const refusal = buildRefusal('WSG_FORBIDDEN', { status: 429 });
    expect([refusal.status, refusal.statusText]).toEqual([429, 'Too Many Requests']);
    expect(buildRefusal('WSG_FORBIDDEN', { status: 418 }).statusText).toBe('Error');
  });

  test('a 401 override without a challenge becomes 403 as well', () => {
    expect(buildRefusal('WSG_FORBIDDEN', { status: 401 }).status).toBe(403);
  });

  test('extra headers are added, but cannot replace X-WSGate-Error or Content-Type', () => {
    const refusal = buildRefusal('WSG_FORBIDDEN', {
      headers: { 'X-Trace': 'abc', 'X-WSGate-Error': 'WSG_NOPE', 'Content-Type': 'text/html' },
    });
    expect(refusal.headers['X-Trace']).toBe('abc');
    expect(refusal.headers['X-WSGate-Error']).toBe('WSG_FORBIDDEN');
    expect(refusal.headers['Content-Type']).toBe('text/plain; charset=utf-8');
  });

  test('extra headers spelled in another case cannot add a second X-WSGate-Error or Content-Type', () => {
    const refusal = buildRefusal('WSG_FORBIDDEN', {
      headers: {
        'x-wsgate-error': 'WSG_NOPE',
        'content-type': 'text/html',
        'cache-control': 'max-age=60',
      },
    });
    const { head } = readBack(serializeRefusal(refusal));
    const names = head.rawHeaders.map(([name]) => name.toLowerCase());
    for (const name of ['x-wsgate-error', 'content-type', 'cache-control']) {
      expect(
        names.filter((n) => n === name),
        name,
      ).toHaveLength(1);
    }
    expect(head.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
  });

  test('framing headers from the application cannot contradict the serialized body', () => {
    const refusal = buildRefusal('WSG_FORBIDDEN', {
      headers: { 'content-length': '0', connection: 'keep-alive', 'Transfer-Encoding': 'chunked' },
    });
    const text = serializeRefusal(refusal);
    const { head, bodyBytes } = readBack(text);
    const names = head.rawHeaders.map(([name]) => name.toLowerCase());
    expect(names.filter((name) => name === 'content-length')).toHaveLength(1);
    expect(names.filter((name) => name === 'connection')).toHaveLength(1);
    expect(names).not.toContain('transfer-encoding');
    expect(head.headers['content-length']).toBe(String(bodyBytes));
    expect(head.headers.connection).toBe('close');
  });

  test('every handshake code can be refused in JSON and in plain text with a correct Content-Length', () => {
    for (const code of handshakeCodes) {
      for (const accept of [undefined, 'application/json']) {
        const { head, bodyBytes } = readBack(
          serializeRefusal(buildRefusal(code, { accept, detail: 'détail ✓' })),
        );
        expect(head.headers['content-length'], code).toBe(String(bodyBytes));
      }
    }
  });
});

describe('bodies that quote request values are never sniffed', () => {
  test.each([undefined, 'application/json'])(
    'every refusal (Accept: %s) carries X-Content-Type-Options: nosniff, once',
    (accept) => {
      for (const code of handshakeCodes) {
        const refusal = buildRefusal(code, {
          accept,
          detail: 'Origin <script>alert(1)</script> is not allowed',
          headers: { 'x-content-type-options': 'sniff-away' },
        });
        const { head } = readBack(serializeRefusal(refusal));
        const names = head.rawHeaders.map(([name]) => name.toLowerCase());
        expect(
          names.filter((name) => name === 'x-content-type-options'),
          code,
        ).toHaveLength(1);
        expect(head.headers['x-content-type-options'], code).toBe('nosniff');
      }
    },
  );
});

describe('RFC 9110 §5.5 headers that cannot be written never reach the wire', () => {
  test('an application header with CR LF turns the refusal into 500 WSG_RESPONSE_HEADER_INVALID', () => {
    const refusal = buildRefusal('WSG_AUTH_REQUIRED', {
      headers: { 'WWW-Authenticate': 'Bearer\r\nSet-Cookie: session=attacker' },
      detail: 'no token',
    });
    expect(refusal.code).toBe('WSG_RESPONSE_HEADER_INVALID');
    expect(refusal.status).toBe(500);
    expect(refusal.detail).toBe(
      'the value of header WWW-Authenticate has a line break (CR or LF), in the headers of a WSG_AUTH_REQUIRED refusal',
    );
    const text = serializeRefusal(refusal);
    expect(text).not.toMatch(/set-cookie/i);
    expect(readBack(text).head.headers['x-wsgate-error']).toBe('WSG_RESPONSE_HEADER_INVALID');
  });

  test('a refusal put together by hand with an injected header or reason phrase is serialized as the 500', () => {
    const valid = buildRefusal('WSG_FORBIDDEN');
    for (const forged of [
      { ...valid, headers: { ...valid.headers, 'X-A': 'a\r\nSet-Cookie: s=1' } },
      { ...valid, headers: { ...valid.headers, 'Set-Cookie: s=1\r\nX-A': 'a' } },
      { ...valid, statusText: 'Forbidden\r\nSet-Cookie: s=1' },
    ]) {
      const text = serializeRefusal(forged);
      expect(text.startsWith('HTTP/1.1 500 Internal Server Error\r\n')).toBe(true);
      expect(text).not.toMatch(/\r\nset-cookie/i);
      expect(readBack(text).head.headers['x-wsgate-error']).toBe('WSG_RESPONSE_HEADER_INVALID');
    }
  });
});
