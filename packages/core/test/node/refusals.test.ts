import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect as connectTcp } from 'node:net';
import {
  closeHttpServer,
  delay,
  listenOnLoopback,
  openRawWebSocket,
  openWs,
  type RawRequestOptions,
  type RawResponse,
  randomBytes,
  rawExchange,
  rawRequest,
  seededRandom,
  upgradeHeaders,
  waitFor,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import { refusalForPlainRequest, sendRefusal, statusText } from '../../src/adapter/index.js';
import {
  catalogue,
  type ErrorCode,
  errorCodes,
  type HandshakeCode,
  type LogEvent,
  type ServerOptions,
  WebSocketServer,
  WsgateError,
} from '../../src/index.js';

// --- servers under test -----------------------------------------------------------------

/** An application function that fails with a secret in its message. */
function boom(): never {
  throw new Error('database password is hunter2');
}

type Mode = 'standalone' | 'attached';

interface Running {
  readonly port: number;
  readonly wss: WebSocketServer;
  readonly http: HttpServer | undefined;
}

const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/**
 * Starts a WebSocketServer standalone (its own head parser on a net server) or attached to a
 * node:http server. The http server does not require Host, so that wsgate's own check answers.
 */
async function start(mode: Mode, options: ServerOptions = {}): Promise<Running> {
  const wss = new WebSocketServer(options);
  if (mode === 'standalone') {
    const address = await wss.listen(0, '127.0.0.1');
    stops.push(() => wss.close({ timeoutMs: 500 }));
    return { port: address.port, wss, http: undefined };
  }
  const http = createHttpServer({ requireHostHeader: false }, (_request, response) => {
    response.end('plain http');
  });
  wss.attach(http);
  const port = await listenOnLoopback(http);
  stops.push(async () => {
    await wss.close({ timeoutMs: 500 });
    await closeHttpServer(http);
  });
  return { port, wss, http };
}

// --- assertions -------------------------------------------------------------------------

function expectRefusal(
  response: RawResponse,
  code: HandshakeCode,
  options: { status?: number; json?: boolean; headers?: Record<string, string> } = {},
): void {
  const status = options.status ?? catalogue[code].status;
  const entry = catalogue[code];
  expect(response.statusLine).toBe(`HTTP/1.1 ${status} ${statusText[status]}`);
  expect(response.headers['x-wsgate-error']).toBe(code);
  expect(response.headers.connection?.toLowerCase().split(/,\s*/)).toContain('close');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
  for (const [name, value] of Object.entries({ ...entry.headers, ...options.headers })) {
    expect(response.headers[name.toLowerCase()], name).toBe(value);
  }
  if (options.json) {
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(response.body) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({
      code,
      status,
      title: entry.title,
      cause: entry.cause,
      fix: entry.fix,
    });
  } else {
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body.startsWith(`${status} ${statusText[status]}: ${code}\n`)).toBe(true);
    expect(response.body).toContain(entry.title);
    expect(response.body).toContain(`Fix: ${entry.fix}`);
  }
  expect(response.closedByServer).toBe(true);
}

// --- the refusals a request alone provokes -------------------------------------------------

interface RequestCase {
  readonly name: string;
  readonly code: HandshakeCode;
  readonly request: RawRequestOptions;
  readonly server?: ServerOptions;
  /** Why the attached server cannot see this request (Node's http parser handles it first). */
  readonly notAttached?: string;
}

const requestCases: RequestCase[] = [
  {
    name: 'a plain GET without Upgrade',
    code: 'WSG_NOT_WEBSOCKET',
    request: { headers: { Upgrade: null, Connection: null } },
    notAttached: 'node:http routes a request without Upgrade to its request handler',
  },
  {
    name: 'Sec-WebSocket-Version: 8',
    code: 'WSG_VERSION_UNSUPPORTED',
    request: { headers: { 'Sec-WebSocket-Version': '8' } },
  },
  { name: 'a POST', code: 'WSG_METHOD_NOT_ALLOWED', request: { method: 'POST' } },
  {
    name: 'an HTTP/1.0 request',
    code: 'WSG_HTTP_VERSION_UNSUPPORTED',
    request: { httpVersion: '1.0' },
  },
  {
    name: 'an upgrade with a body (Content-Length: 5)',
    code: 'WSG_REQUEST_BODY_UNEXPECTED',
    request: { headers: { 'Content-Length': '5' }, after: Buffer.from('hello') },
  },
  {
    name: 'a request without Host',
    code: 'WSG_HOST_MISSING',
    request: { headers: { Host: null } },
  },
  {
    name: 'Upgrade: h2c',
    code: 'WSG_UPGRADE_TOKEN_MISSING',
    request: { headers: { Upgrade: 'h2c' } },
  },
  {
    name: 'Connection: keep-alive',
    code: 'WSG_CONNECTION_TOKEN_MISSING',
    request: { headers: { Connection: 'keep-alive' } },
    notAttached: 'node:http treats Upgrade without Connection: upgrade as a plain request',
  },
  {
    name: 'a request without Sec-WebSocket-Key',
    code: 'WSG_KEY_MISSING',
    request: { headers: { 'Sec-WebSocket-Key': null } },
  },
  {
    name: 'a key that is not base64 of 16 bytes',
    code: 'WSG_KEY_INVALID',
    request: { headers: { 'Sec-WebSocket-Key': 'c2hvcnQ=' } },
  },
  {
    name: 'a 24-character key that is base64 of 17 bytes',
    code: 'WSG_KEY_INVALID',
    request: { headers: { 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAAAAA=' } },
  },
  {
    name: 'an unterminated quoted extension parameter',
    code: 'WSG_EXTENSIONS_MALFORMED',
    request: { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; x="open' } },
  },
  {
    name: 'a subprotocol list with a space inside a token',
    code: 'WSG_SUBPROTOCOLS_MALFORMED',
    request: { headers: { 'Sec-WebSocket-Protocol': 'chat v2' } },
  },
  {
    name: 'an offer of an unsupported subprotocol when one is required',
    code: 'WSG_SUBPROTOCOL_REQUIRED',
    request: { headers: { 'Sec-WebSocket-Protocol': 'chat.v1' } },
    server: { subprotocols: ['chat.v2'], requireSubprotocol: true },
  },
  {
    name: 'an Origin outside the allow-list',
    code: 'WSG_ORIGIN_REFUSED',
    request: { headers: { Origin: 'https://evil.example' } },
    server: { origins: ['https://good.example'] },
  },
  {
    name: 'an Origin the origins function turns down',
    code: 'WSG_ORIGIN_REFUSED',
    request: { headers: { Origin: 'https://evil.example' } },
    server: { origins: (origin) => origin.endsWith('.good.example') },
  },
  {
    name: 'an unknown path',
    code: 'WSG_PATH_NOT_FOUND',
    request: { path: '/nowhere' },
    server: { path: '/ws' },
  },
  {
    name: 'a hook refusal with WWW-Authenticate',
    code: 'WSG_AUTH_REQUIRED',
    request: {},
    server: {
      verifyUpgrade: () => ({
        refuse: 'WSG_AUTH_REQUIRED',
        headers: { 'WWW-Authenticate': 'Bearer' },
      }),
    },
  },
  {
    name: 'a hook that throws a handshake WsgateError',
    code: 'WSG_FORBIDDEN',
    request: {},
    server: {
      verifyUpgrade: () => {
        throw new WsgateError('WSG_FORBIDDEN', { detail: 'banned' });
      },
    },
  },
];

describe.each(['standalone', 'attached'] as const)('%s server', (mode) => {
  const cases = requestCases.filter((c) => mode === 'standalone' || c.notAttached === undefined);

  it.each(cases)('refuses $name with $code and a plain-text body', async (c) => {
    const { port } = await start(mode, c.server);
    const response = await rawRequest(port, c.request);
    expectRefusal(response, c.code);
  });

  it.each(cases)('refuses $name with a JSON body when Accept asks for JSON', async (c) => {
    const { port } = await start(mode, c.server);
    const response = await rawRequest(port, {
      ...c.request,
      headers: { ...c.request.headers, Accept: 'text/html, application/json;q=0.9' },
    });
    expectRefusal(response, c.code, { json: true });
  });

  it('refuses a request with two Host headers with 400 WSG_REQUEST_MALFORMED (RFC 9112 §3.2)', async () => {
    const { port } = await start(mode);
    let head = 'GET / HTTP/1.1\r\n';
    for (const [name, value] of Object.entries(upgradeHeaders(port)))
      head += `${name}: ${value}\r\n`;
    head += 'Host: evil.example\r\n\r\n';
    const response = await rawExchange(port, Buffer.from(head, 'latin1'));
    expectRefusal(response, 'WSG_REQUEST_MALFORMED');
    expect(response.body).toContain('repeated Host header');
  });

  it('survives clients that reset the connection right after a refusal (ECONNRESET on the refused socket)', async () => {
    const errors: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      errors.push(error);
    };
    process.on('uncaughtException', onUncaught);
    try {
      const { port } = await start(mode);
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((resolve) => {
          const socket = connectTcp({ port, host: '127.0.0.1' });
          socket.on('error', () => {});
          socket.on('connect', () => {
            let head = 'GET / HTTP/1.1\r\n';
            for (const [name, value] of Object.entries({
              ...upgradeHeaders(port),
              'Sec-WebSocket-Version': '8',
            }))
              head += `${name}: ${value}\r\n`;
            socket.write(`${head}\r\n`);
          });
          // Unread answer in the client's buffer: closing now sends RST instead of FIN.
          socket.once('readable', () => {
            socket.resetAndDestroy();
            resolve();
          });
        });
      }
      // The resets reached the server's kernel before this request was made, so the poll that
      // brings its answer also brought their errors: an answer means they were handled.
      const response = await rawRequest(port, { headers: { 'Sec-WebSocket-Version': '8' } });
      expect(response.status).toBe(426);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(errors).toEqual([]);
  });

  it('refuses version 8 with 426, Sec-WebSocket-Version: 13 and Upgrade: websocket', async () => {
    const { port } = await start(mode);
    const response = await rawRequest(port, { headers: { 'Sec-WebSocket-Version': '8' } });
    expect(response.status).toBe(426);
    expect(response.headers['sec-websocket-version']).toBe('13');
    expect(response.headers.upgrade).toBe('websocket');
    expect(response.headers.connection).toBe('Upgrade, close');
  });

  it('refuses a POST with 405 and Allow: GET', async () => {
    const { port } = await start(mode);
    const response = await rawRequest(port, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET');
  });

  it('accepts the websocket and upgrade tokens in any case inside comma-separated lists', async () => {
    const { port } = await start(mode);
    for (const [upgrade, connection] of [
      ['WebSocket', 'Upgrade'],
      ['h2c, WEBSOCKET', 'keep-alive, upgrade'],
      ['websocket , h2c', 'UPGRADE,keep-alive'],
    ]) {
      const raw = await openRawWebSocket(port, {
        headers: { Upgrade: upgrade as string, Connection: connection as string },
      });
      expect(raw.response.status, `Upgrade: ${upgrade}; Connection: ${connection}`).toBe(101);
      raw.destroy();
    }
  });

  it('lets an origins function admit the origins it returns true for', async () => {
    const seen: string[] = [];
    const { port } = await start(mode, {
      origins: (origin) => {
        seen.push(origin);
        return origin.endsWith('.good.example');
      },
    });
    const raw = await openRawWebSocket(port, { headers: { Origin: 'https://app.good.example' } });
    expect(raw.response.status).toBe(101);
    raw.destroy();
    expect(seen).toEqual(['https://app.good.example']);
  });

  it.each([
    ['origins', { origins: () => boom() }, { Origin: 'https://a.example' }],
    ['subprotocols', { subprotocols: () => boom() }, { 'Sec-WebSocket-Protocol': 'chat' }],
    ['path', { path: () => boom() }, {}],
  ] as const)(
    'answers 500 WSG_HOOK_FAILED, logged and without the error, when the %s function throws, and keeps serving',
    async (_name, options, headers) => {
      const events: LogEvent[] = [];
      const crashes: unknown[] = [];
      const onCrash = (error: unknown): void => {
        crashes.push(error);
      };
      process.on('unhandledRejection', onCrash);
      process.on('uncaughtException', onCrash);
      try {
        const { port } = await start(mode, { ...options, onLog: (event) => events.push(event) });
        const response = await rawRequest(port, { headers: { ...headers } });
        expectRefusal(response, 'WSG_HOOK_FAILED');
        expect(response.raw).not.toContain('hunter2');
        expect(events).toContainEqual(
          expect.objectContaining({ event: 'wsgate.handshake.hook_failed' }),
        );
        expect(events.find((e) => e.event === 'wsgate.handshake.hook_failed')?.detail).toContain(
          'hunter2',
        );
        // Still alive: the same server answers the next request.
        // An unhandled rejection is reported before the tick in which the client reads the answer.
        expectRefusal(await rawRequest(port, { headers: { ...headers } }), 'WSG_HOOK_FAILED');
        expect(crashes).toEqual([]);
      } finally {
        process.off('unhandledRejection', onCrash);
        process.off('uncaughtException', onCrash);
      }
    },
  );

  it('accepts a request without Origin when an allow-list is set', async () => {
    const { port } = await start(mode, { origins: ['https://good.example'] });
    const raw = await openRawWebSocket(port);
    expect(raw.response.status).toBe(101);
    raw.destroy();
    const allowed = await openRawWebSocket(port, { headers: { Origin: 'https://GOOD.example/' } });
    expect(allowed.response.status).toBe(101);
    allowed.destroy();
  });

  it('answers a 401 without WWW-Authenticate as 403, still naming WSG_AUTH_REQUIRED', async () => {
    const { port } = await start(mode, { verifyUpgrade: () => ({ refuse: 'WSG_AUTH_REQUIRED' }) });
    const response = await rawRequest(port);
    expectRefusal(response, 'WSG_AUTH_REQUIRED', { status: 403 });
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  it('sends the WWW-Authenticate header of a 401 refusal', async () => {
    const { port } = await start(mode, {
      verifyUpgrade: () => ({
        refuse: 'WSG_AUTH_REQUIRED',
        headers: { 'WWW-Authenticate': 'Bearer' },
      }),
    });
    const response = await rawRequest(port);
    expect(response.statusLine).toBe('HTTP/1.1 401 Unauthorized');
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers 500 WSG_HOOK_FAILED without the error message or stack when the hook throws', async () => {
    const events: LogEvent[] = [];
    const { port } = await start(mode, {
      verifyUpgrade: () => {
        throw new Error('database password is hunter2');
      },
      onLog: (event) => events.push(event),
    });
    for (const accept of [undefined, 'application/json']) {
      const response = await rawRequest(
        port,
        accept === undefined ? {} : { headers: { Accept: accept } },
      );
      expectRefusal(response, 'WSG_HOOK_FAILED', { json: accept !== undefined });
      expect(response.raw).not.toContain('hunter2');
      expect(response.raw).not.toMatch(/\n\s+at /);
    }
    const failed = events.filter((e) => e.event === 'wsgate.handshake.hook_failed');
    expect(failed).toHaveLength(2);
    expect(failed[0]?.code).toBe('WSG_HOOK_FAILED');
    expect(failed[0]?.detail).toContain('hunter2');
  });

  it('answers 500 WSG_HOOK_FAILED when the hook does not settle within handshakeTimeoutMs', async () => {
    const { port } = await start(mode, {
      handshakeTimeoutMs: 200,
      verifyUpgrade: () => new Promise<undefined>(() => {}),
    });
    const started = Date.now();
    const response = await rawRequest(port);
    expectRefusal(response, 'WSG_HOOK_FAILED');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('gives the hook the path, query and headers of the request', async () => {
    const seen: Array<{ path: string; token: string | null; agent: unknown }> = [];
    const { port } = await start(mode, {
      verifyUpgrade: (request) => {
        seen.push({
          path: request.path,
          token: request.query.get('token'),
          agent: request.headers['user-agent'],
        });
      },
    });
    const raw = await openRawWebSocket(port, {
      path: '/chat?token=abc',
      headers: { 'User-Agent': 'refusal-test' },
    });
    expect(raw.response.status).toBe(101);
    raw.destroy();
    expect(seen).toEqual([{ path: '/chat', token: 'abc', agent: 'refusal-test' }]);
  });

  it('survives clients that reset the connection while the hook runs', async () => {
    const crashes: unknown[] = [];
    const onCrash = (error: unknown): void => {
      crashes.push(error);
    };
    process.on('uncaughtException', onCrash);
    try {
      let calls = 0;
      let finished = 0;
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { port, wss } = await start(mode, {
        verifyUpgrade: async () => {
          calls++;
          await released;
          finished++;
        },
      });
      let head = 'GET / HTTP/1.1\r\n';
      for (const [name, value] of Object.entries(upgradeHeaders(port)))
        head += `${name}: ${value}\r\n`;
      for (let i = 1; i <= 3; i++) {
        const socket = connectTcp({ port, host: '127.0.0.1' });
        socket.on('error', () => {});
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        socket.write(`${head}\r\n`);
        await waitFor(() => calls === i, { what: 'the hook to start' });
        // A TCP RST while the server is still deciding.
        socket.resetAndDestroy();
      }
      // Every hook decides only now, on sockets already reset.
      release();
      await waitFor(() => finished === 3, { what: 'the hooks to finish' });
      const raw = await openRawWebSocket(port);
      expect(raw.response.status).toBe(101);
      // Only this last client got in; none of the reset ones did.
      expect(wss.clients.size).toBe(1);
      raw.destroy();
      expect(crashes).toEqual([]);
    } finally {
      process.off('uncaughtException', onCrash);
    }
  });

  it('refuses beyond maxConnections with 503 WSG_TOO_MANY_CONNECTIONS and Retry-After', async () => {
    const { port, wss } = await start(mode, { maxConnections: 2 });
    const open = [await openRawWebSocket(port), await openRawWebSocket(port)];
    const response = await rawRequest(port, { headers: { Accept: 'application/json' } });
    expectRefusal(response, 'WSG_TOO_MANY_CONNECTIONS', { json: true });
    expect(response.headers['retry-after']).toBe('5');
    // A slot frees when a connection ends.
    open[0]?.destroy();
    await waitFor(() => wss.clients.size === 1, { what: 'the server to see the close' });
    const again = await openRawWebSocket(port);
    expect(again.response.status).toBe(101);
    again.destroy();
    open[1]?.destroy();
  });

  it('refuses beyond maxConnectionsPerAddress with 503 WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT', async () => {
    const { port } = await start(mode, { maxConnectionsPerAddress: 1 });
    const first = await openRawWebSocket(port);
    const response = await rawRequest(port);
    expectRefusal(response, 'WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT');
    expect(response.headers['retry-after']).toBe('5');
    first.destroy();
  });

  it('refuses a handshake with 503 WSG_SERVER_SHUTTING_DOWN while closing', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let hookCalls = 0;
    const { port, wss } = await start(mode, {
      verifyUpgrade: async () => {
        hookCalls++;
        await gate;
      },
    });
    // The head is parsed and the hook is running when close() begins.
    const answer = rawRequest(port, { headers: { Accept: 'application/json' } });
    await waitFor(() => hookCalls === 1, { what: 'the hook to run' });
    const closing = wss.close({ timeoutMs: 500 });
    release();
    const response = await answer;
    expectRefusal(response, 'WSG_SERVER_SHUTTING_DOWN', { json: true });
    expect(response.headers['retry-after']).toBe('1');
    await closing;
  });
});

// --- refusals of the standalone server's own HTTP parser -------------------------------------

describe('standalone server head parsing', () => {
  it('refuses a head over maxHeaderBytes with 431 WSG_HEADERS_TOO_LARGE', async () => {
    const { port } = await start('standalone', { maxHeaderBytes: 1024 });
    const response = await rawRequest(port, { headers: { Cookie: 'c'.repeat(2_000) } });
    expectRefusal(response, 'WSG_HEADERS_TOO_LARGE');
  });

  it('refuses an endless head at maxHeaderBytes without waiting for its end', async () => {
    const { port } = await start('standalone', { maxHeaderBytes: 1024 });
    const endless = Buffer.from(`GET / HTTP/1.1\r\nX-Long: ${'a'.repeat(4_000)}`);
    const response = await rawExchange(port, endless);
    expectRefusal(response, 'WSG_HEADERS_TOO_LARGE');
  });

  it('refuses more header lines than maxHeaderCount with 431', async () => {
    const { port } = await start('standalone', { maxHeaderCount: 10 });
    const headers: Record<string, string> = {};
    for (let i = 0; i < 20; i++) headers[`X-Extra-${i}`] = String(i);
    const response = await rawRequest(port, { headers });
    expectRefusal(response, 'WSG_HEADERS_TOO_LARGE');
    const fits = await openRawWebSocket(port);
    expect(fits.response.status).toBe(101);
    fits.destroy();
  });

  it('refuses garbage bytes instead of HTTP with 400 WSG_REQUEST_MALFORMED', async () => {
    const { port } = await start('standalone');
    const random = seededRandom(6455);
    const garbage = Buffer.concat([
      Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]),
      randomBytes(random, 200),
      Buffer.from('\r\n\r\n'),
    ]);
    expectRefusal(await rawExchange(port, garbage), 'WSG_REQUEST_MALFORMED');
  });

  it('refuses a second Content-Length with 400 WSG_REQUEST_FRAMING_INVALID (RFC 9112 §6.3)', async () => {
    const { port } = await start('standalone');
    const response = await rawRequest(port, {
      headers: { 'Content-Length': '0', 'content-length': '0' },
    });
    expectRefusal(response, 'WSG_REQUEST_FRAMING_INVALID');
  });

  it('refuses an HTTP/9.9 request line with 505 WSG_HTTP_VERSION_UNKNOWN (RFC 9112 §2.3)', async () => {
    const { port } = await start('standalone');
    expectRefusal(await rawRequest(port, { httpVersion: '9.9' }), 'WSG_HTTP_VERSION_UNKNOWN');
  });

  it('refuses a head with bare LF line endings with 400 WSG_REQUEST_LINE_ENDING_INVALID (RFC 9112 §2.2)', async () => {
    const { port } = await start('standalone');
    const response = await rawExchange(port, Buffer.from('GET / HTTP/1.1\nHost: x\n\n'));
    expectRefusal(response, 'WSG_REQUEST_LINE_ENDING_INVALID');
  });

  it('refuses a header line without a colon with 400 WSG_REQUEST_MALFORMED', async () => {
    const { port } = await start('standalone');
    const response = await rawExchange(
      port,
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n'),
    );
    expectRefusal(response, 'WSG_REQUEST_MALFORMED');
  });

  it('answers a client sending one byte every 200 ms with 408 within handshakeTimeoutMs', async () => {
    const timeoutMs = 500;
    const { port } = await start('standalone', { handshakeTimeoutMs: timeoutMs });
    const request = Buffer.from(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
    );
    const started = Date.now();
    const { received, closedAfterMs } = await new Promise<{
      received: string;
      closedAfterMs: number;
    }>((resolve) => {
      const socket = connectTcp({ port, host: '127.0.0.1' });
      let received = '';
      let sent = 0;
      // Bounded: at most 20 bytes (4 s) are sent; the server must end it long before.
      const drip = setInterval(() => {
        if (sent >= 20 || socket.destroyed) return;
        socket.write(request.subarray(sent, sent + 1));
        sent++;
      }, 200);
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(drip);
        resolve({ received, closedAfterMs: Date.now() - started });
      });
      setTimeout(() => socket.destroy(), 6_000).unref();
    });
    expect(received.startsWith('HTTP/1.1 408 Request Timeout\r\n')).toBe(true);
    expect(received).toContain('X-WSGate-Error: WSG_HANDSHAKE_TIMEOUT');
    expect(closedAfterMs).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(closedAfterMs).toBeLessThan(3 * timeoutMs);
  });

  it('answers a client that sends nothing with 408 WSG_HANDSHAKE_TIMEOUT', async () => {
    const { port } = await start('standalone', { handshakeTimeoutMs: 300 });
    const response = await rawExchange(port, new Uint8Array(0), { timeoutMs: 3_000 });
    expectRefusal(response, 'WSG_HANDSHAKE_TIMEOUT');
  });

  it('serves the paths of the path option given as a list or a function', async () => {
    const list = await start('standalone', { path: ['/a', '/b'] });
    const listed = await openRawWebSocket(list.port, { path: '/b?x=1' });
    expect(listed.response.status).toBe(101);
    listed.destroy();
    expectRefusal(await rawRequest(list.port, { path: '/c' }), 'WSG_PATH_NOT_FOUND');
    const matcher = await start('standalone', { path: (path) => path.startsWith('/rooms/') });
    const matched = await openRawWebSocket(matcher.port, { path: '/rooms/1' });
    expect(matched.response.status).toBe(101);
    matched.destroy();
    expectRefusal(await rawRequest(matcher.port, { path: '/room' }), 'WSG_PATH_NOT_FOUND');
  });

  it('logs each refusal as a wsgate.handshake.refused event with code and path', async () => {
    const events: LogEvent[] = [];
    const { port } = await start('standalone', { path: '/ws', onLog: (e) => events.push(e) });
    await rawRequest(port, { path: '/elsewhere' });
    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'wsgate.handshake.refused',
        code: 'WSG_PATH_NOT_FOUND',
        status: 404,
        path: '/elsewhere',
      }),
    );
  });
});

// --- attach() beside other upgrade listeners ------------------------------------------------

describe('attached server beside another upgrade listener', () => {
  async function startShared(unhandledUpgradeTimeoutMs: number) {
    const { http, port } = await start('attached', { path: '/ws', unhandledUpgradeTimeoutMs });
    const other = new WsServer({ noServer: true });
    other.on('connection', (socket) => {
      socket.on('message', (data) => socket.send(`the other listener got ${String(data)}`));
    });
    (http as HttpServer).on('upgrade', (request, socket, head) => {
      if (request.url === '/other') {
        other.handleUpgrade(request, socket, head, (ws) => other.emit('connection', ws, request));
      }
    });
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          for (const client of other.clients) client.terminate();
          other.close(() => resolve());
        }),
    );
    return port;
  }

  it('leaves the other listener its own path, even after the grace period', async () => {
    const port = await startShared(150);
    const socket = await openWs(`ws://127.0.0.1:${port}/other`, { perMessageDeflate: false });
    // Past the grace period, wsgate must not have written a 404 into the other listener's socket.
    await delay(400);
    expect(socket.readyState).toBe(socket.OPEN);
    const answer = wsNextMessage(socket);
    socket.send('hello');
    expect((await answer).data.toString()).toBe('the other listener got hello');
    socket.close();
  });

  it('still serves its own path', async () => {
    const port = await startShared(150);
    const raw = await openRawWebSocket(port, { path: '/ws' });
    expect(raw.response.status).toBe(101);
    raw.destroy();
  });

  it('answers a path nobody serves with 404 after unhandledUpgradeTimeoutMs', async () => {
    const port = await startShared(300);
    const started = Date.now();
    const response = await rawRequest(port, { path: '/nobody' });
    expectRefusal(response, 'WSG_PATH_NOT_FOUND');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('answers a path nobody serves with 404 at once when it is the only listener', async () => {
    const { port } = await start('attached', { path: '/ws', unhandledUpgradeTimeoutMs: 5_000 });
    const started = Date.now();
    expectRefusal(await rawRequest(port, { path: '/nobody' }), 'WSG_PATH_NOT_FOUND');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('leaves plain HTTP requests to the http server', async () => {
    const { port } = await start('attached', { path: '/ws' });
    const response = await rawRequest(port, {
      path: '/page',
      headers: { Upgrade: null, Connection: 'close' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toBe('plain http');
  });

  it('answers a plain GET on its path with 426 and Upgrade: websocket through sendRefusal', async () => {
    const wss = new WebSocketServer({ path: '/ws' });
    const http = createHttpServer((request, response) => {
      const { code, detail } = refusalForPlainRequest(request);
      sendRefusal(response, code, { detail, accept: request.headers.accept });
    });
    wss.attach(http);
    const port = await listenOnLoopback(http);
    stops.push(async () => {
      await wss.close({ timeoutMs: 500 });
      await closeHttpServer(http);
    });
    for (const accept of ['text/html', 'application/json']) {
      const response = await fetch(`http://127.0.0.1:${port}/ws`, { headers: { Accept: accept } });
      expect(response.status).toBe(426);
      expect(response.headers.get('upgrade')).toBe('websocket');
      expect(response.headers.get('connection')?.toLowerCase()).toContain('upgrade');
      expect(response.headers.get('x-wsgate-error')).toBe('WSG_NOT_WEBSOCKET');
      const body = await response.text();
      if (accept === 'application/json') {
        expect(JSON.parse(body).error.code).toBe('WSG_NOT_WEBSOCKET');
      } else {
        expect(body.startsWith('426 Upgrade Required: WSG_NOT_WEBSOCKET\n')).toBe(true);
        expect(body).toContain(catalogue.WSG_NOT_WEBSOCKET.fix);
      }
    }
  });
});

// --- coverage of the catalogue --------------------------------------------------------------

describe('catalogue coverage', () => {
  it('exercises every handshake refusal in the catalogue in this file', () => {
    const exercised = new Set<ErrorCode>([
      ...requestCases.map((c) => c.code),
      'WSG_HOOK_FAILED',
      'WSG_TOO_MANY_CONNECTIONS',
      'WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT',
      'WSG_SERVER_SHUTTING_DOWN',
      'WSG_HEADERS_TOO_LARGE',
      'WSG_REQUEST_MALFORMED',
      'WSG_REQUEST_FRAMING_INVALID',
      'WSG_REQUEST_LINE_ENDING_INVALID',
      'WSG_HTTP_VERSION_UNKNOWN',
      'WSG_HANDSHAKE_TIMEOUT',
      'WSG_RESPONSE_HEADER_INVALID',
    ]);
    // Codes that name what an application or the refusal lookup answers, not the server alone.
    const elsewhere: Partial<Record<ErrorCode, string>> = {
      WSG_RATE_LIMITED: 'packages/test-kit framework-answers, run by every adapter',
      WSG_REQUEST_TIMEOUT: 'packages/test-kit framework-answers, run by every adapter',
      WSG_REQUEST_TOO_LARGE: 'packages/test-kit framework-answers, run by every adapter',
      WSG_SERVER_UNAVAILABLE: 'packages/test-kit framework-answers, run by every adapter',
      WSG_REQUEST_REFUSED: 'packages/test-kit framework-answers, run by every adapter',
      WSG_UPGRADE_NOT_HANDLED: 'packages/test-kit framework-answers, run by every adapter',
      WSG_ATTEMPT_UNKNOWN: 'refusal-journal.test.ts (the lookup of an unknown attempt)',
      WSG_H2_PROTOCOL_MISSING: 'test/h2/refusals-h2.test.ts (an HTTP/2 CONNECT without :protocol)',
      WSG_H2_PROTOCOL_UNSUPPORTED: 'test/h2/refusals-h2.test.ts (:protocol other than websocket)',
      WSG_H2_KEY_UNEXPECTED: 'test/h2/refusals-h2.test.ts (Sec-WebSocket-Key over HTTP/2)',
    };
    const handshakeCodes = errorCodes.filter((code) => catalogue[code].kind === 'handshake');
    expect(
      handshakeCodes.filter((code) => !exercised.has(code) && elsewhere[code] === undefined),
    ).toEqual([]);
  });
});
