import { createServer as createHttpServer } from 'node:http';
import {
  clientFrame,
  closeHttpServer,
  listenOnLoopback,
  type RawResponse,
  rawExchange,
  upgradeHeaders,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { type ErrorCode, type LogEvent, WebSocketServer } from '../../src/index.js';

// Request heads that Node's http parser answers 400 and that a standalone wsgate server read
// differently before: ambiguous body framing (request smuggling), unknown HTTP versions, bare LF
// line endings. Both paths over real sockets: the standalone server answers with a code; the
// attached one never sees what Node refuses, and refuses with a code what Node hands over.

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function standalone(log: LogEvent[] = []): Promise<number> {
  const wss = new WebSocketServer({ onLog: (event) => log.push(event), heartbeatIntervalMs: 0 });
  wss.on('connection', (connection) => {
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
  const { port } = await wss.listen(0, '127.0.0.1');
  stops.push(() => wss.close({ timeoutMs: 500 }));
  return port;
}

async function attached(log: LogEvent[] = []): Promise<number> {
  const wss = new WebSocketServer({ onLog: (event) => log.push(event), heartbeatIntervalMs: 0 });
  wss.on('connection', (connection) => {
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
  const http = createHttpServer((_request, response) => response.end('plain http'));
  wss.attach(http);
  const port = await listenOnLoopback(http);
  stops.push(async () => {
    await wss.close({ timeoutMs: 500 });
    await closeHttpServer(http);
  });
  return port;
}

/** A handshake head with `lines` in place of the request line's version or extra header lines. */
function head(
  port: number,
  options: { version?: string; extra?: readonly string[]; eol?: string } = {},
): string {
  const eol = options.eol ?? '\r\n';
  const lines = [`GET / ${options.version ?? 'HTTP/1.1'}`];
  for (const [name, value] of Object.entries(upgradeHeaders(port))) lines.push(`${name}: ${value}`);
  lines.push(...(options.extra ?? []));
  return `${lines.join(eol)}${eol}${eol}`;
}

/** A masked binary frame: what a smuggled "body" really is. */
const FRAME = clientFrame(2, 'smuggled!!');

function expectCodedRefusal(response: RawResponse, status: number, code: ErrorCode): void {
  expect(response.status, response.raw.slice(0, 200)).toBe(status);
  expect(response.headers['x-wsgate-error']).toBe(code);
  expect(response.raw).not.toContain('101 Switching Protocols');
  expect(response.raw).not.toContain('smuggled!!');
  expect(response.closedByServer).toBe(true);
}

function expectNodeRefusal(response: RawResponse): void {
  expect(response.statusLine).toBe('HTTP/1.1 400 Bad Request');
  expect(response.raw).not.toContain('smuggled!!');
  expect(response.closedByServer).toBe(true);
}

interface Case {
  readonly name: string;
  readonly bytes: (port: number) => Buffer;
  readonly status: number;
  readonly code: ErrorCode;
  /** Whether Node's own parser refuses it before wsgate's upgrade listener sees it (400). */
  readonly nodeRefuses: boolean;
}

const cases: Case[] = [
  {
    name: 'two Content-Length headers (RFC 9112 §6.3)',
    bytes: (port) =>
      Buffer.from(head(port, { extra: ['Content-Length: 0', 'Content-Length: 0'] }), 'latin1'),
    status: 400,
    code: 'WSG_REQUEST_FRAMING_INVALID',
    nodeRefuses: true,
  },
  {
    name: 'Content-Length: 16 with Transfer-Encoding: chunked and a masked frame as the body (RFC 9112 §6.1)',
    bytes: (port) =>
      Buffer.concat([
        Buffer.from(
          head(port, { extra: ['Content-Length: 16', 'Transfer-Encoding: chunked'] }),
          'latin1',
        ),
        FRAME,
      ]),
    status: 400,
    code: 'WSG_REQUEST_FRAMING_INVALID',
    nodeRefuses: true,
  },
  {
    name: 'Content-Length: 16 and a masked frame as the body (RFC 6455 §4.1)',
    bytes: (port) =>
      Buffer.concat([Buffer.from(head(port, { extra: ['Content-Length: 16'] }), 'latin1'), FRAME]),
    status: 400,
    code: 'WSG_REQUEST_BODY_UNEXPECTED',
    nodeRefuses: false,
  },
  {
    name: 'Transfer-Encoding: chunked with a masked frame after it',
    bytes: (port) =>
      Buffer.concat([
        Buffer.from(head(port, { extra: ['Transfer-Encoding: chunked'] }), 'latin1'),
        FRAME,
      ]),
    status: 400,
    code: 'WSG_REQUEST_BODY_UNEXPECTED',
    nodeRefuses: false,
  },
  {
    name: 'HTTP/9.9 (RFC 9112 §2.3)',
    bytes: (port) => Buffer.from(head(port, { version: 'HTTP/9.9' }), 'latin1'),
    status: 505,
    code: 'WSG_HTTP_VERSION_UNKNOWN',
    nodeRefuses: true,
  },
  {
    name: 'HTTP/2.0 in a text head',
    bytes: (port) => Buffer.from(head(port, { version: 'HTTP/2.0' }), 'latin1'),
    status: 505,
    code: 'WSG_HTTP_VERSION_UNKNOWN',
    nodeRefuses: false,
  },
];

describe('standalone server: ambiguous or unknown request heads', () => {
  it.each(cases)('refuses $name with $status $code, never 101', async (c) => {
    const log: LogEvent[] = [];
    const port = await standalone(log);
    expectCodedRefusal(await rawExchange(port, c.bytes(port)), c.status, c.code);
    expect(log.map((event) => event.code)).toEqual([c.code]);
  });

  it('refuses a head with bare LF line endings with 400 WSG_REQUEST_LINE_ENDING_INVALID at once, not at the 408', async () => {
    const port = await standalone();
    const started = performance.now();
    const response = await rawExchange(port, Buffer.from(head(port, { eol: '\n' }), 'latin1'));
    expectCodedRefusal(response, 400, 'WSG_REQUEST_LINE_ENDING_INVALID');
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('attached server: the same heads', () => {
  it.each(cases.filter((c) => c.nodeRefuses))(
    "$name is refused by Node's parser, answered 400 WSG_REQUEST_MALFORMED, never 101",
    async (c) => {
      const log: LogEvent[] = [];
      const port = await attached(log);
      const response = await rawExchange(port, c.bytes(port));
      expectNodeRefusal(response);
      // wsgate answers for Node's parser (see node/client-error.ts): the catalogue code, logged.
      expect(response.headers['x-wsgate-error']).toBe('WSG_REQUEST_MALFORMED');
      expect(log.map((event) => event.code)).toEqual(['WSG_REQUEST_MALFORMED']);
    },
  );

  it.each(cases.filter((c) => !c.nodeRefuses))(
    '$name, which Node hands to the upgrade listener, is refused with $status $code',
    async (c) => {
      const log: LogEvent[] = [];
      const port = await attached(log);
      expectCodedRefusal(await rawExchange(port, c.bytes(port)), c.status, c.code);
      expect(log.map((event) => event.code)).toEqual([c.code]);
    },
  );

  it("a head with bare LF line endings is answered 400 by Node's parser", async () => {
    const port = await attached();
    expectNodeRefusal(await rawExchange(port, Buffer.from(head(port, { eol: '\n' }), 'latin1')));
  });
});
