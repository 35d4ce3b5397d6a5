import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { catalogue, type ErrorCode, type HandshakeCode } from '../../src/errors/catalogue.js';
import { validateServerResponse } from '../../src/protocol/handshake-client.js';
import {
  type HandshakeOutcome,
  type HandshakePolicy,
  normalizeOrigin,
  serializeAcceptResponse,
  type UpgradeRequest,
  validateUpgradeRequest,
} from '../../src/protocol/handshake-server.js';
import { HttpResponseParser } from '../../src/protocol/http-head.js';
import { createDeflateNegotiator } from '../../src/protocol/permessage-deflate.js';
import { utf8 } from '../helpers/bytes.js';
import { propertyRuns } from '../helpers/property.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

type Headers = Record<string, string | string[] | undefined>;

/** The client handshake of RFC 6455 §1.2 (without its optional headers), with changes. */
function upgrade(
  headers: Headers = {},
  request: { method?: string; httpVersion?: string } = {},
): UpgradeRequest {
  const merged: Headers = {
    host: 'server.example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
    ...headers,
  };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return {
    method: request.method ?? 'GET',
    httpVersion: request.httpVersion ?? '1.1',
    headers: merged,
  };
}

function refusalOf(outcome: HandshakeOutcome): { code: ErrorCode; detail: string } | undefined {
  return outcome.accepted ? undefined : { code: outcome.code, detail: outcome.detail };
}

function expectRefused(outcome: HandshakeOutcome, code: HandshakeCode, status?: number): string {
  expect(refusalOf(outcome)?.code).toBe(code);
  if (status !== undefined) expect(catalogue[code].status).toBe(status);
  return refusalOf(outcome)?.detail ?? '';
}

function accepted<A>(outcome: HandshakeOutcome<A>) {
  if (!outcome.accepted) throw new Error(`refused: ${outcome.code} (${outcome.detail})`);
  return outcome;
}

describe('RFC 6455 §4.2.1 reading the client handshake', () => {
  test('accepts the client handshake of §1.2 and answers the §1.3 accept key', () => {
    const outcome = accepted(validateUpgradeRequest(upgrade({ origin: 'http://example.com' })));
    expect(outcome.acceptKey).toBe(ACCEPT);
    expect(outcome.subprotocol).toBeUndefined();
    expect(outcome.extension).toBeUndefined();
    expect(outcome.extensionsHeader).toBeUndefined();
  });

  test('a request without Upgrade is not a WebSocket request: WSG_NOT_WEBSOCKET (426)', () => {
    const detail = expectRefused(
      validateUpgradeRequest(upgrade({ upgrade: undefined, connection: undefined })),
      'WSG_NOT_WEBSOCKET',
      426,
    );
    expect(detail).toBe('GET request without an Upgrade header');
  });

  test('a POST is refused with 405 WSG_METHOD_NOT_ALLOWED (§4.1: the method MUST be GET)', () => {
    expectRefused(
      validateUpgradeRequest(upgrade({}, { method: 'POST' })),
      'WSG_METHOD_NOT_ALLOWED',
      405,
    );
    expectRefused(
      validateUpgradeRequest(upgrade({}, { method: 'get' })),
      'WSG_METHOD_NOT_ALLOWED',
      405,
    );
  });

  test.each(['1.0', '0.9'])(
    'HTTP/%s is refused with 505 WSG_HTTP_VERSION_UNSUPPORTED',
    (version) => {
      expectRefused(
        validateUpgradeRequest(upgrade({}, { httpVersion: version })),
        'WSG_HTTP_VERSION_UNSUPPORTED',
        505,
      );
    },
  );

  // HTTP/2 is never text (RFC 9112 §2.3); Node's parser hands 2.0 heads to 'upgrade' listeners.
  test.each(['2.0', '9.9', '1.2'])(
    'HTTP/%s is refused with 505 WSG_HTTP_VERSION_UNKNOWN',
    (version) => {
      expectRefused(
        validateUpgradeRequest(upgrade({}, { httpVersion: version })),
        'WSG_HTTP_VERSION_UNKNOWN',
        505,
      );
    },
  );

  // RFC 6455 §4.1: the bytes after the head are frames; a body would be read as frames.
  test.each([
    [{ 'content-length': '16' }, 'Content-Length: 16'],
    [{ 'transfer-encoding': 'chunked' }, 'Transfer-Encoding: chunked'],
    [{ 'content-length': '0', 'transfer-encoding': 'chunked' }, 'Transfer-Encoding: chunked'],
  ])('%j is refused with 400 WSG_REQUEST_BODY_UNEXPECTED', (headers, detail) => {
    expect(
      expectRefused(validateUpgradeRequest(upgrade(headers)), 'WSG_REQUEST_BODY_UNEXPECTED', 400),
    ).toBe(detail);
  });

  test('Content-Length: 0 announces no body and is accepted', () => {
    accepted(validateUpgradeRequest(upgrade({ 'content-length': '0' })));
  });

  test.each(['websocket', 'WebSocket', 'h2c, websocket'])('Upgrade: %s is accepted', (value) => {
    accepted(validateUpgradeRequest(upgrade({ upgrade: value })));
  });

  test.each(['h2c', 'websocket/13', ''])(
    'Upgrade: %j without the websocket token is WSG_UPGRADE_TOKEN_MISSING (400)',
    (value) => {
      expectRefused(
        validateUpgradeRequest(upgrade({ upgrade: value })),
        'WSG_UPGRADE_TOKEN_MISSING',
        400,
      );
    },
  );

  test.each(['Upgrade', 'upgrade', 'keep-alive, Upgrade', 'Upgrade, keep-alive'])(
    'Connection: %s is accepted (§4.2.1: the value includes the token)',
    (value) => {
      accepted(validateUpgradeRequest(upgrade({ connection: value })));
    },
  );

  test('Connection given as a list of values is accepted when one holds the token', () => {
    accepted(validateUpgradeRequest(upgrade({ connection: ['keep-alive', 'Upgrade'] })));
  });

  test.each([
    ['keep-alive', 'Connection: keep-alive'],
    ['close', 'Connection: close'],
    [undefined, 'no Connection header'],
  ])('Connection: %s is WSG_CONNECTION_TOKEN_MISSING with detail "%s"', (value, detail) => {
    expect(
      expectRefused(
        validateUpgradeRequest(upgrade({ connection: value })),
        'WSG_CONNECTION_TOKEN_MISSING',
        400,
      ),
    ).toBe(detail);
  });

  test.each([undefined, '', '   '])('Host %j is WSG_HOST_MISSING (400)', (host) => {
    expectRefused(validateUpgradeRequest(upgrade({ host })), 'WSG_HOST_MISSING', 400);
  });

  test('two Host headers are refused with 400 WSG_REQUEST_MALFORMED (RFC 9112 §3.2)', () => {
    const detail = expectRefused(
      validateUpgradeRequest(upgrade({ host: ['a.example', 'b.example'] })),
      'WSG_REQUEST_MALFORMED',
      400,
    );
    expect(detail).toBe('invalid or repeated Host header: a.example, b.example');
    // Our own head parser joins repeated headers with ", ".
    expectRefused(
      validateUpgradeRequest(upgrade({ host: 'a.example, b.example' })),
      'WSG_REQUEST_MALFORMED',
      400,
    );
  });

  test('a Host with surrounding spaces is accepted, with inner whitespace refused', () => {
    accepted(validateUpgradeRequest(upgrade({ host: ' server.example.com:8080 ' })));
    expectRefused(
      validateUpgradeRequest(upgrade({ host: 'server example' })),
      'WSG_REQUEST_MALFORMED',
    );
  });

  test('Sec-WebSocket-Version: 8 is refused with 426 WSG_VERSION_UNSUPPORTED, which names version 13 (§4.4)', () => {
    const detail = expectRefused(
      validateUpgradeRequest(upgrade({ 'sec-websocket-version': '8' })),
      'WSG_VERSION_UNSUPPORTED',
      426,
    );
    expect(detail).toBe('Sec-WebSocket-Version: 8');
    expect(catalogue.WSG_VERSION_UNSUPPORTED.headers).toMatchObject({
      'Sec-WebSocket-Version': '13',
    });
  });

  test.each([undefined, '', '12', '14', '13, 8', 'thirteen'])(
    'Sec-WebSocket-Version %j is refused with 426 WSG_VERSION_UNSUPPORTED',
    (version) => {
      const detail = expectRefused(
        validateUpgradeRequest(upgrade({ 'sec-websocket-version': version })),
        'WSG_VERSION_UNSUPPORTED',
        426,
      );
      if (version === undefined) expect(detail).toBe('no Sec-WebSocket-Version header');
    },
  );

  test('Sec-WebSocket-Version with surrounding spaces is accepted', () => {
    accepted(validateUpgradeRequest(upgrade({ 'sec-websocket-version': ' 13 ' })));
  });

  test('a missing Sec-WebSocket-Key is WSG_KEY_MISSING (400)', () => {
    expectRefused(
      validateUpgradeRequest(upgrade({ 'sec-websocket-key': undefined })),
      'WSG_KEY_MISSING',
      400,
    );
  });

  test.each([
    ['too short', 'dGhlIHNhbXBsZQ=='],
    ['empty', ''],
    ['not base64', 'not a key at all, really!'],
    ['duplicated and joined with ", "', `${KEY}, ${KEY}`],
  ])('a Sec-WebSocket-Key that is %s is WSG_KEY_INVALID (400)', (_name, key) => {
    expectRefused(
      validateUpgradeRequest(upgrade({ 'sec-websocket-key': key })),
      'WSG_KEY_INVALID',
      400,
    );
  });

  test('a Sec-WebSocket-Key sent twice, as a list of values, is WSG_KEY_INVALID', () => {
    expectRefused(
      validateUpgradeRequest(upgrade({ 'sec-websocket-key': [KEY, KEY] })),
      'WSG_KEY_INVALID',
      400,
    );
  });

  test('spaces around the key are trimmed before the accept key is computed', () => {
    expect(
      accepted(validateUpgradeRequest(upgrade({ 'sec-websocket-key': `  ${KEY} ` }))).acceptKey,
    ).toBe(ACCEPT);
  });
});

describe('RFC 6455 §4.2.1 refusal precedence', () => {
  type MutableRequest = { headers: Headers; method: string; httpVersion: string };
  // Each fault breaks the request in one way; with several faults, the earliest check wins.
  const faults: ReadonlyArray<readonly [ErrorCode, (r: MutableRequest) => void]> = [
    ['WSG_NOT_WEBSOCKET', (r) => delete r.headers.upgrade],
    ['WSG_METHOD_NOT_ALLOWED', (r) => (r.method = 'POST')],
    ['WSG_HTTP_VERSION_UNSUPPORTED', (r) => (r.httpVersion = '1.0')],
    ['WSG_UPGRADE_TOKEN_MISSING', (r) => (r.headers.upgrade = 'h2c')],
    ['WSG_CONNECTION_TOKEN_MISSING', (r) => (r.headers.connection = 'keep-alive')],
    ['WSG_HOST_MISSING', (r) => delete r.headers.host],
    ['WSG_VERSION_UNSUPPORTED', (r) => (r.headers['sec-websocket-version'] = '8')],
    ['WSG_KEY_MISSING', (r) => delete r.headers['sec-websocket-key']],
    ['WSG_ORIGIN_REFUSED', (r) => (r.headers.origin = 'https://evil.example')],
    ['WSG_SUBPROTOCOLS_MALFORMED', (r) => (r.headers['sec-websocket-protocol'] = 'a b')],
    ['WSG_SUBPROTOCOL_REQUIRED', (r) => (r.headers['sec-websocket-protocol'] = 'other')],
    ['WSG_EXTENSIONS_MALFORMED', (r) => (r.headers['sec-websocket-extensions'] = 'x;')],
  ];
  const policy: HandshakePolicy = {
    origins: ['https://app.example'],
    subprotocols: ['chat'],
    requireSubprotocol: true,
  };
  function baseRequest(): MutableRequest {
    return {
      headers: {
        ...upgrade({ origin: 'https://app.example', 'sec-websocket-protocol': 'chat' }).headers,
      },
      method: 'GET',
      httpVersion: '1.1',
    };
  }

  test('the request without faults is accepted under the policy', () => {
    expect(accepted(validateUpgradeRequest(baseRequest(), policy)).subprotocol).toBe('chat');
  });

  test.each(faults.map(([code], index) => [code, index] as const))(
    '%s wins over every fault checked after it',
    (code, index) => {
      const request = baseRequest();
      // Apply the later faults first, so that an earlier fault on the same header wins.
      for (const [, apply] of faults.slice(index).reverse()) apply(request);
      expect(refusalOf(validateUpgradeRequest(request, policy))?.code).toBe(code);
    },
  );

  test('an invalid key is reported before a refused origin', () => {
    expectRefused(
      validateUpgradeRequest(
        upgrade({ 'sec-websocket-key': 'short', origin: 'https://evil.example' }),
        {
          origins: ['https://app.example'],
        },
      ),
      'WSG_KEY_INVALID',
    );
  });
});

describe('RFC 6455 §4.2.2 / §10.2 Origin', () => {
  const origins = ['https://app.example', 'http://localhost:5173'];

  test.each([
    'https://app.example',
    'HTTPS://APP.EXAMPLE',
    'https://app.example/',
    'http://localhost:5173',
  ])('Origin %s is on the allow-list', (origin) => {
    accepted(validateUpgradeRequest(upgrade({ origin }), { origins }));
  });

  test.each([
    'https://evil.example',
    'http://app.example',
    'https://app.example:8443',
    'http://localhost:5174',
    'https://app.example.evil.example',
    'null',
  ])('Origin %s is refused with 403 WSG_ORIGIN_REFUSED', (origin) => {
    const detail = expectRefused(
      validateUpgradeRequest(upgrade({ origin }), { origins }),
      'WSG_ORIGIN_REFUSED',
      403,
    );
    expect(detail).toContain(origin);
  });

  test('"*" on the allow-list admits any origin', () => {
    accepted(
      validateUpgradeRequest(upgrade({ origin: 'https://anything.example' }), { origins: ['*'] }),
    );
  });

  test('a function decides with the Origin as sent', () => {
    const seen: string[] = [];
    const policy: HandshakePolicy = {
      origins: (origin) => {
        seen.push(origin);
        return origin.endsWith('.trusted.example');
      },
    };
    accepted(validateUpgradeRequest(upgrade({ origin: 'https://a.trusted.example' }), policy));
    expectRefused(
      validateUpgradeRequest(upgrade({ origin: 'https://a.other.example' }), policy),
      'WSG_ORIGIN_REFUSED',
    );
    expect(seen).toEqual(['https://a.trusted.example', 'https://a.other.example']);
  });

  test('a request without Origin (a non-browser client) passes the allow-list', () => {
    accepted(validateUpgradeRequest(upgrade(), { origins }));
    accepted(validateUpgradeRequest(upgrade(), { origins: () => false }));
  });

  test('a request without Origin is refused when requireOrigin is set', () => {
    const detail = expectRefused(
      validateUpgradeRequest(upgrade(), { origins, requireOrigin: true }),
      'WSG_ORIGIN_REFUSED',
      403,
    );
    expect(detail).toBe('the request has no Origin header');
  });

  test('without an allow-list every origin is accepted', () => {
    accepted(validateUpgradeRequest(upgrade({ origin: 'https://evil.example' })));
  });

  test('normalizeOrigin lower-cases and drops a trailing slash', () => {
    expect(normalizeOrigin(' HTTPS://App.Example/ ')).toBe('https://app.example');
  });
});

describe('RFC 6455 §4.2.2 subprotocol selection', () => {
  test('the server picks its most preferred protocol among those offered', () => {
    const outcome = accepted(
      validateUpgradeRequest(upgrade({ 'sec-websocket-protocol': 'v1.chat, v2.chat' }), {
        subprotocols: ['v2.chat', 'v1.chat'],
      }),
    );
    expect(outcome.subprotocol).toBe('v2.chat');
  });

  test('no subprotocol is chosen when none of the offers is supported', () => {
    const outcome = accepted(
      validateUpgradeRequest(upgrade({ 'sec-websocket-protocol': 'mqtt' }), {
        subprotocols: ['chat'],
      }),
    );
    expect(outcome.subprotocol).toBeUndefined();
  });

  test('no subprotocol is chosen when the client offered none, even if the function would pick one', () => {
    const outcome = accepted(validateUpgradeRequest(upgrade(), { subprotocols: () => 'chat' }));
    expect(outcome.subprotocol).toBeUndefined();
  });

  test('a function receives the offers in order and its choice is used', () => {
    const seen: string[][] = [];
    const outcome = accepted(
      validateUpgradeRequest(upgrade({ 'sec-websocket-protocol': 'a, b, c' }), {
        subprotocols: (offered) => {
          seen.push([...offered]);
          return offered.at(-1);
        },
      }),
    );
    expect(seen).toEqual([['a', 'b', 'c']]);
    expect(outcome.subprotocol).toBe('c');
  });

  test('a function that returns a protocol the client did not offer selects nothing', () => {
    const outcome = accepted(
      validateUpgradeRequest(upgrade({ 'sec-websocket-protocol': 'a' }), {
        subprotocols: () => 'b',
      }),
    );
    expect(outcome.subprotocol).toBeUndefined();
  });

  test('the selection is never a protocol the client did not offer (property)', () => {
    const token = fc.constantFrom('a', 'b', 'c', 'chat', 'v2.chat', 'mqtt');
    fc.assert(
      fc.property(
        fc.array(token, { maxLength: 4 }),
        fc.oneof(
          fc.array(token, { maxLength: 4 }),
          token.map((choice) => () => choice),
        ),
        (offered, subprotocols) => {
          const headers: Headers =
            offered.length > 0 ? { 'sec-websocket-protocol': offered.join(', ') } : {};
          const outcome = accepted(validateUpgradeRequest(upgrade(headers), { subprotocols }));
          if (outcome.subprotocol !== undefined) expect(offered).toContain(outcome.subprotocol);
        },
      ),
      propertyRuns(300),
    );
  });

  test('requireSubprotocol refuses with 400 WSG_SUBPROTOCOL_REQUIRED and lists what is supported', () => {
    const detail = expectRefused(
      validateUpgradeRequest(upgrade({ 'sec-websocket-protocol': 'mqtt, stomp' }), {
        subprotocols: ['chat', 'v2.chat'],
        requireSubprotocol: true,
      }),
      'WSG_SUBPROTOCOL_REQUIRED',
      400,
    );
    expect(detail).toBe('offered: mqtt, stomp; supported: chat, v2.chat');
  });

  test('requireSubprotocol refuses a client that offers nothing', () => {
    const detail = expectRefused(
      validateUpgradeRequest(upgrade(), { subprotocols: ['chat'], requireSubprotocol: true }),
      'WSG_SUBPROTOCOL_REQUIRED',
    );
    expect(detail).toBe('offered: none; supported: chat');
  });

  test.each(['chat v2', 'chat/1', '"chat"'])(
    'a malformed Sec-WebSocket-Protocol %j is refused with 400 WSG_SUBPROTOCOLS_MALFORMED',
    (value) => {
      expectRefused(
        validateUpgradeRequest(upgrade({ 'sec-websocket-protocol': value }), {
          subprotocols: ['chat'],
        }),
        'WSG_SUBPROTOCOLS_MALFORMED',
        400,
      );
    },
  );

  test('a malformed Sec-WebSocket-Protocol is refused even without a subprotocol policy', () => {
    expectRefused(
      validateUpgradeRequest(upgrade({ 'sec-websocket-protocol': 'a b' })),
      'WSG_SUBPROTOCOLS_MALFORMED',
    );
  });
});

describe('RFC 6455 §9.1 extension negotiation', () => {
  test('a malformed Sec-WebSocket-Extensions is refused with 400 WSG_EXTENSIONS_MALFORMED', () => {
    expectRefused(
      validateUpgradeRequest(upgrade({ 'sec-websocket-extensions': 'permessage-deflate; =' }), {
        extensions: createDeflateNegotiator(),
      }),
      'WSG_EXTENSIONS_MALFORMED',
      400,
    );
  });

  test('a malformed Sec-WebSocket-Extensions is refused even without a negotiator', () => {
    expectRefused(
      validateUpgradeRequest(upgrade({ 'sec-websocket-extensions': 'a;' })),
      'WSG_EXTENSIONS_MALFORMED',
    );
  });

  test('extensions are ignored without a negotiator', () => {
    const outcome = accepted(
      validateUpgradeRequest(upgrade({ 'sec-websocket-extensions': 'permessage-deflate' })),
    );
    expect(outcome.extensionsHeader).toBeUndefined();
    expect(outcome.extension).toBeUndefined();
  });

  test('the negotiator sees the parsed offers and its answer becomes the response header', () => {
    const outcome = accepted(
      validateUpgradeRequest(
        upgrade({
          'sec-websocket-extensions': 'x-unknown, permessage-deflate; client_max_window_bits',
        }),
        { extensions: createDeflateNegotiator({ clientMaxWindowBits: 10 }) },
      ),
    );
    expect(outcome.extensionsHeader).toBe('permessage-deflate; client_max_window_bits=10');
    expect(outcome.extension).toEqual({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 10,
    });
  });

  test('no extension is agreed when the negotiator declines every offer', () => {
    const outcome = accepted(
      validateUpgradeRequest(upgrade({ 'sec-websocket-extensions': 'x-unknown' }), {
        extensions: createDeflateNegotiator(),
      }),
    );
    expect(outcome.extensionsHeader).toBeUndefined();
  });
});

describe('RFC 6455 §4.2.2 step 5: the 101 response', () => {
  test('serializes the server handshake of §1.3', () => {
    expect(
      serializeAcceptResponse({
        acceptKey: ACCEPT,
        subprotocol: 'chat',
        extensionsHeader: undefined,
      }),
    ).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${ACCEPT}\r\nSec-WebSocket-Protocol: chat\r\n\r\n`,
    );
  });

  test('adds the extensions header and extra headers', () => {
    const text = serializeAcceptResponse(
      { acceptKey: ACCEPT, subprotocol: undefined, extensionsHeader: 'permessage-deflate' },
      { 'X-Request-Id': 'abc' },
    );
    expect(text).toContain('\r\nSec-WebSocket-Extensions: permessage-deflate\r\n');
    expect(text).toContain('\r\nX-Request-Id: abc\r\n');
    expect(text).not.toContain('Sec-WebSocket-Protocol');
    expect(text.endsWith('\r\n\r\n')).toBe(true);
  });

  test('an accepted handshake serializes to a response the client accepts', () => {
    const outcome = accepted(
      validateUpgradeRequest(
        upgrade({
          'sec-websocket-protocol': 'chat',
          'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
        }),
        { subprotocols: ['chat'], extensions: createDeflateNegotiator() },
      ),
    );
    const parsed = new HttpResponseParser().push(utf8(serializeAcceptResponse(outcome)));
    if (parsed.state !== 'complete') throw new Error(parsed.state);
    expect(
      validateServerResponse(parsed.head, {
        key: KEY,
        subprotocols: ['chat'],
        extensionNames: ['permessage-deflate'],
      }),
    ).toEqual({
      ok: true,
      subprotocol: 'chat',
      extensions: [{ name: 'permessage-deflate', params: [] }],
    });
  });
});
