import { describe, expect, test } from 'vitest';
import type { ErrorCode } from '../../src/errors/catalogue.js';
import {
  type ServerResponseOutcome,
  serializeClientRequest,
  validateServerResponse,
} from '../../src/protocol/handshake-client.js';
import { validateUpgradeRequest } from '../../src/protocol/handshake-server.js';
import {
  HttpRequestParser,
  type HttpResponseHead,
  HttpResponseParser,
} from '../../src/protocol/http-head.js';
import { utf8 } from '../helpers/bytes.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** Parses a response head written out as lines, with our own response parser. */
function response(lines: readonly string[]): HttpResponseHead {
  const result = new HttpResponseParser().push(utf8(`${lines.join('\r\n')}\r\n\r\n`));
  if (result.state !== 'complete') throw new Error(`fixture does not parse: ${result.state}`);
  return result.head;
}

function switching(extra: readonly string[] = []): HttpResponseHead {
  return response([
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${ACCEPT}`,
    ...extra,
  ]);
}

function failure(outcome: ServerResponseOutcome): { code: ErrorCode; detail: string } | undefined {
  return outcome.ok ? undefined : { code: outcome.code, detail: outcome.detail };
}

describe('RFC 6455 §4.1 the client handshake', () => {
  test('serializes the opening handshake of §1.2', () => {
    expect(
      serializeClientRequest({
        host: 'server.example.com',
        path: '/chat',
        key: KEY,
        origin: 'http://example.com',
        subprotocols: ['chat', 'superchat'],
      }),
    ).toBe(
      'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\n` +
        'Sec-WebSocket-Protocol: chat, superchat\r\n\r\n',
    );
  });

  test('leaves out optional headers that were not asked for, including an empty subprotocol list', () => {
    const text = serializeClientRequest({ host: 'h', path: '/', key: KEY, subprotocols: [] });
    expect(text).not.toContain('Origin');
    expect(text).not.toContain('Sec-WebSocket-Protocol');
    expect(text).not.toContain('Sec-WebSocket-Extensions');
  });

  test('adds the extensions offer and extra headers', () => {
    const text = serializeClientRequest({
      host: 'h',
      path: '/?a=1',
      key: KEY,
      extensions: 'permessage-deflate; client_max_window_bits',
      headers: { Authorization: 'Bearer t' },
    });
    expect(text.startsWith('GET /?a=1 HTTP/1.1\r\n')).toBe(true);
    expect(text).toContain(
      '\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n',
    );
    expect(text).toContain('\r\nAuthorization: Bearer t\r\n');
  });

  test.each([
    ['a value', { 'X-A': 'a\r\nX-Injected: 1' }],
    ['a name', { 'X-A\nX-B': 'a' }],
  ])('refuses an extra header with a line break in %s', (_name, headers) => {
    expect(() => serializeClientRequest({ host: 'h', path: '/', key: KEY, headers })).toThrow(
      TypeError,
    );
  });

  test('the serialized request is accepted by our own server-side validation', () => {
    const text = serializeClientRequest({
      host: 'h:8080',
      path: '/ws',
      key: KEY,
      subprotocols: ['chat'],
    });
    const parsed = new HttpRequestParser().push(utf8(text));
    if (parsed.state !== 'complete') throw new Error(parsed.state);
    const outcome = validateUpgradeRequest(parsed.head, { subprotocols: ['chat'] });
    expect(outcome).toMatchObject({ accepted: true, acceptKey: ACCEPT, subprotocol: 'chat' });
  });
});

describe('RFC 6455 §4.1 validating the server response', () => {
  test('a 101 with the right accept key is accepted', () => {
    expect(validateServerResponse(switching(), { key: KEY })).toEqual({
      ok: true,
      subprotocol: undefined,
      extensions: [],
    });
  });

  test('Upgrade and Connection are compared case-insensitively', () => {
    const head = response([
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: WebSocket',
      'Connection: keep-alive, upgrade',
      `Sec-WebSocket-Accept: ${ACCEPT}`,
    ]);
    expect(validateServerResponse(head, { key: KEY }).ok).toBe(true);
  });

  test("a 404 is WSG_RESPONSE_NOT_FOUND and the detail names the server's X-WSGate-Error", () => {
    const outcome = validateServerResponse(
      response(['HTTP/1.1 404 Not Found', 'X-WSGate-Error: WSG_PATH_NOT_FOUND']),
      { key: KEY },
    );
    expect(failure(outcome)).toEqual({
      code: 'WSG_RESPONSE_NOT_FOUND',
      detail: 'HTTP/1.1 404 Not Found (WSG_PATH_NOT_FOUND)',
    });
  });

  test('a 426 is WSG_RESPONSE_UPGRADE_REQUIRED and the detail names the version the server speaks', () => {
    const outcome = validateServerResponse(
      response([
        'HTTP/1.1 426 Upgrade Required',
        'Sec-WebSocket-Version: 13',
        'Upgrade: websocket',
      ]),
      { key: KEY },
    );
    expect(failure(outcome)?.code).toBe('WSG_RESPONSE_UPGRADE_REQUIRED');
    expect(failure(outcome)?.detail).toContain('the server speaks Sec-WebSocket-Version 13');
  });

  test('a 200 is WSG_RESPONSE_NOT_UPGRADED (the request was served as plain HTTP)', () => {
    const outcome = validateServerResponse(response(['HTTP/1.1 200 OK', 'Content-Length: 0']), {
      key: KEY,
    });
    expect(failure(outcome)).toEqual({
      code: 'WSG_RESPONSE_NOT_UPGRADED',
      detail: 'HTTP/1.1 200 OK; Upgrade: (absent), Connection: (absent)',
    });
  });

  test('a 302 is WSG_RESPONSE_NOT_UPGRADED and the detail carries the Location', () => {
    const outcome = validateServerResponse(
      response(['HTTP/1.1 302 Found', 'Location: wss://elsewhere.example/ws']),
      { key: KEY },
    );
    expect(failure(outcome)?.code).toBe('WSG_RESPONSE_NOT_UPGRADED');
    expect(failure(outcome)?.detail).toContain('Location: wss://elsewhere.example/ws');
  });

  test.each([
    [500, 'Internal Server Error'],
    [403, 'Forbidden'],
    [400, 'Bad Request'],
    [503, 'Service Unavailable'],
  ])('a %i is WSG_RESPONSE_REFUSED', (status, text) => {
    const outcome = validateServerResponse(
      response([`HTTP/1.1 ${status} ${text}`, 'X-WSGate-Error: WSG_ORIGIN_REFUSED']),
      { key: KEY },
    );
    expect(failure(outcome)).toEqual({
      code: 'WSG_RESPONSE_REFUSED',
      detail: `HTTP/1.1 ${status} ${text} (WSG_ORIGIN_REFUSED)`,
    });
  });

  test('a 101 without Upgrade: websocket is WSG_RESPONSE_MALFORMED', () => {
    const head = response([
      'HTTP/1.1 101 Switching Protocols',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${ACCEPT}`,
    ]);
    expect(failure(validateServerResponse(head, { key: KEY }))?.code).toBe(
      'WSG_RESPONSE_MALFORMED',
    );
  });

  test('a 101 without Connection: Upgrade is WSG_RESPONSE_MALFORMED', () => {
    const head = response([
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      `Sec-WebSocket-Accept: ${ACCEPT}`,
    ]);
    expect(failure(validateServerResponse(head, { key: KEY }))?.code).toBe(
      'WSG_RESPONSE_MALFORMED',
    );
  });

  test('a wrong Sec-WebSocket-Accept is WSG_ACCEPT_MISMATCH, naming the expected value', () => {
    const head = response([
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    ]);
    expect(failure(validateServerResponse(head, { key: KEY }))).toEqual({
      code: 'WSG_ACCEPT_MISMATCH',
      detail: `expected Sec-WebSocket-Accept ${ACCEPT}, got AAAAAAAAAAAAAAAAAAAAAAAAAAA=`,
    });
  });

  test('an accept key computed for another key is WSG_ACCEPT_MISMATCH', () => {
    expect(
      failure(validateServerResponse(switching(), { key: 'AQIDBAUGBwgJCgsMDQ4PEA==' }))?.code,
    ).toBe('WSG_ACCEPT_MISMATCH');
  });

  test('a missing Sec-WebSocket-Accept is WSG_ACCEPT_MISMATCH', () => {
    const head = response([
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
    ]);
    expect(failure(validateServerResponse(head, { key: KEY }))?.detail).toContain('got none');
  });

  test('a subprotocol the client offered is accepted and reported', () => {
    const outcome = validateServerResponse(switching(['Sec-WebSocket-Protocol: chat']), {
      key: KEY,
      subprotocols: ['superchat', 'chat'],
    });
    expect(outcome).toEqual({ ok: true, subprotocol: 'chat', extensions: [] });
  });

  test('a subprotocol the client did not offer is WSG_RESPONSE_SUBPROTOCOL_UNOFFERED', () => {
    const outcome = validateServerResponse(switching(['Sec-WebSocket-Protocol: mqtt']), {
      key: KEY,
      subprotocols: ['chat'],
    });
    expect(failure(outcome)).toEqual({
      code: 'WSG_RESPONSE_SUBPROTOCOL_UNOFFERED',
      detail: 'the server chose mqtt; offered: chat',
    });
  });

  test('a subprotocol when the client offered none is WSG_RESPONSE_SUBPROTOCOL_UNOFFERED', () => {
    const outcome = validateServerResponse(switching(['Sec-WebSocket-Protocol: chat']), {
      key: KEY,
    });
    expect(failure(outcome)?.detail).toBe('the server chose chat; offered: none');
  });

  test('an extension the client offered is accepted and returned parsed', () => {
    const outcome = validateServerResponse(
      switching(['Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10']),
      { key: KEY, extensionNames: ['permessage-deflate'] },
    );
    expect(outcome).toEqual({
      ok: true,
      subprotocol: undefined,
      extensions: [{ name: 'permessage-deflate', params: [['server_max_window_bits', '10']] }],
    });
  });

  test('an extension the client did not offer is WSG_RESPONSE_EXTENSION_UNOFFERED', () => {
    const outcome = validateServerResponse(
      switching(['Sec-WebSocket-Extensions: x-webkit-deflate-frame']),
      {
        key: KEY,
        extensionNames: ['permessage-deflate'],
      },
    );
    expect(failure(outcome)).toEqual({
      code: 'WSG_RESPONSE_EXTENSION_UNOFFERED',
      detail: 'the server accepted x-webkit-deflate-frame, which was not offered',
    });
  });

  test('any extension is unoffered when the client offered none', () => {
    const outcome = validateServerResponse(
      switching(['Sec-WebSocket-Extensions: permessage-deflate']),
      { key: KEY },
    );
    expect(failure(outcome)?.code).toBe('WSG_RESPONSE_EXTENSION_UNOFFERED');
  });

  test('a malformed Sec-WebSocket-Extensions answer is WSG_RESPONSE_MALFORMED', () => {
    const outcome = validateServerResponse(
      switching(['Sec-WebSocket-Extensions: permessage-deflate;']),
      {
        key: KEY,
        extensionNames: ['permessage-deflate'],
      },
    );
    expect(failure(outcome)?.code).toBe('WSG_RESPONSE_MALFORMED');
  });
});
