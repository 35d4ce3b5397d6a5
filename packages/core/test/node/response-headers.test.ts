import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { closeHttpServer, listenOnLoopback, type RawResponse, rawRequest } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { writeHttpResponse } from '../../src/adapter/index.js';
import { type LogEvent, type ServerOptions, WebSocketServer } from '../../src/index.js';

// Headers an application hands to wsgate are written on raw sockets, where Node's setHeader
// checks do not run. A line break in a value (or a name that is not a token) must never add a
// header line: the answer is 500 WSG_RESPONSE_HEADER_INVALID, logged, as Node answers a
// setHeader that throws. The injected line below would set a cookie in the client.

const INJECTED = 'Bearer\r\nSet-Cookie: session=attacker';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function start(
  mode: 'standalone' | 'attached',
  options: ServerOptions,
  log: LogEvent[],
): Promise<{ port: number; wss: WebSocketServer }> {
  const wss = new WebSocketServer({ ...options, onLog: (event) => log.push(event) });
  if (mode === 'standalone') {
    const { port } = await wss.listen(0, '127.0.0.1');
    stops.push(() => wss.close({ timeoutMs: 500 }));
    return { port, wss };
  }
  const http = createHttpServer((_request, response) => response.end());
  wss.attach(http);
  const port = await listenOnLoopback(http);
  stops.push(async () => {
    await wss.close({ timeoutMs: 500 });
    await closeHttpServer(http);
  });
  return { port, wss };
}

function expectHeaderRefusal(response: RawResponse): void {
  expect(response.statusLine).toBe('HTTP/1.1 500 Internal Server Error');
  expect(response.headers['x-wsgate-error']).toBe('WSG_RESPONSE_HEADER_INVALID');
  expect(response.headers['set-cookie']).toBeUndefined();
  expect(response.raw).not.toMatch(/\r\nSet-Cookie:/i);
  expect(response.raw).not.toContain('101 Switching Protocols');
  expect(response.closedByServer).toBe(true);
}

describe.each(['standalone', 'attached'] as const)('%s server', (mode) => {
  it.each([
    ['a value with CR LF', { 'WWW-Authenticate': INJECTED }, 'a line break (CR or LF)'],
    [
      'a value with a bare LF',
      { 'WWW-Authenticate': 'Bearer\nSet-Cookie: session=attacker' },
      'a line break (CR or LF)',
    ],
    ['a value with a NUL', { 'WWW-Authenticate': 'Bearer\u0000x' }, 'the character U+0000'],
    [
      'a name that is not a token',
      { 'Set-Cookie: session=attacker\r\nX': 'y' },
      'is not an HTTP token',
    ],
  ])(
    'answers verifyUpgrade refusal headers with %s with 500 WSG_RESPONSE_HEADER_INVALID, logged',
    async (_name, headers, reason) => {
      const log: LogEvent[] = [];
      const { port } = await start(
        mode,
        { verifyUpgrade: () => ({ refuse: 'WSG_AUTH_REQUIRED', headers }) },
        log,
      );
      expectHeaderRefusal(await rawRequest(port));
      expect(log.map((event) => event.code)).toEqual(['WSG_RESPONSE_HEADER_INVALID']);
      expect(log[0]?.detail).toContain(reason);
      expect(log[0]?.detail).toContain('WSG_AUTH_REQUIRED');
      // Never the value itself; a name is quoted with its control characters escaped.
      expect(log[0]?.detail).not.toMatch(/[\r\n\0]|Bearer/);
    },
  );
});

describe('headers for the 101', () => {
  it('answers handleUpgrade headers with a line break with 500 WSG_RESPONSE_HEADER_INVALID, logged', async () => {
    const log: LogEvent[] = [];
    const wss = new WebSocketServer({ onLog: (event) => log.push(event) });
    const http = createHttpServer();
    http.on('upgrade', (request, socket, head) => {
      void wss.handleUpgrade(request, socket, head, { headers: { 'X-Session': INJECTED } });
    });
    const port = await listenOnLoopback(http);
    stops.push(async () => {
      await wss.close({ timeoutMs: 500 });
      await closeHttpServer(http);
    });
    expectHeaderRefusal(await rawRequest(port));
    expect(log.map((event) => event.code)).toEqual(['WSG_RESPONSE_HEADER_INVALID']);
    expect(log[0]?.detail).toBe('the value of header X-Session has a line break (CR or LF)');
    expect(wss.clients.size).toBe(0);
  });
});

describe('writeHttpResponse', () => {
  it('answers 500 WSG_RESPONSE_HEADER_INVALID for a header value with CR LF, never the injected line', async () => {
    const raw = createNetServer((socket) => {
      socket.once('data', () =>
        writeHttpResponse(socket, 401, { 'WWW-Authenticate': INJECTED }, 'no'),
      );
    });
    const port = await listenOnLoopback(raw as never);
    stops.push(() => new Promise((resolve) => raw.close(() => resolve())));
    expectHeaderRefusal(await rawRequest(port));
  });

  it('still writes valid headers, a repeated one once per value', async () => {
    const raw = createNetServer((socket) => {
      socket.once('data', () =>
        writeHttpResponse(
          socket,
          401,
          { 'WWW-Authenticate': 'Bearer', 'Set-Cookie': ['a=1', 'b=2'] },
          'no',
        ),
      );
    });
    const port = await listenOnLoopback(raw as never);
    stops.push(() => new Promise((resolve) => raw.close(() => resolve())));
    const response = await rawRequest(port);
    expect(response.statusLine).toBe('HTTP/1.1 401 Unauthorized');
    expect(response.raw).toContain('\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n');
    expect(response.body).toBe('no');
  });
});
