import { randomBytes } from 'node:crypto';
import { RefusalJournal } from '@wsgate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type {
  AdapterFlags,
  ContractApp,
  ContractOptions,
  StartContractApp,
} from './adapter-app.js';
import { frameworkAnswers } from './framework-answers.js';
import { type RawResponse, rawExchange, rawRequest, upgradeHeaders } from './raw-http.js';
import { openRawWebSocket } from './raw-websocket.js';
import { clientFrame } from './wire/index.js';
import { openWs, wsClosed, wsNextMessage } from './ws-client.js';

interface Running extends ContractApp {
  readonly port: number;
  /** `ws://127.0.0.1:PORT` */
  readonly ws: string;
}

/** An upgrade request with `extra` bytes in the same write, read until `stopWhen` holds. */
function upgradeWith(
  port: number,
  path: string,
  headers: Readonly<Record<string, string>>,
  extra: Uint8Array,
  stopWhen: (received: string) => boolean,
): Promise<RawResponse> {
  let head = `GET ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries({ ...upgradeHeaders(port), ...headers }))
    head += `${name}: ${value}\r\n`;
  const bytes = Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), extra]);
  return rawExchange(port, bytes, { timeoutMs: 5_000, stopWhen });
}

/** The bytes after the response head, as hex. */
function afterHead(raw: string): string {
  return Buffer.from(raw.slice(raw.indexOf('\r\n\r\n') + 4), 'latin1').toString('hex');
}

/** What a server sends for a short text message without compression (RFC 6455 §5.2). */
function serverTextFrame(text: string): string {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]).toString('hex');
}

function attemptId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The behaviour every adapter promises, asserted over real sockets against an app that `start`
 * serves (see ContractOptions for what it holds). Framework differences are `flags`.
 */
export function describeAdapter(name: string, start: StartContractApp, flags: AdapterFlags): void {
  const started: ContractApp[] = [];

  async function open(options: Omit<ContractOptions, 'refusalJournal'> = {}): Promise<Running> {
    const app = await start({ refusalJournal: new RefusalJournal(), ...options });
    const url = new URL(app.url);
    return { ...app, port: Number(url.port), ws: `ws://${url.host}` };
  }

  /** An app for one test, stopped after it. */
  async function run(options: Omit<ContractOptions, 'refusalJournal'> = {}): Promise<Running> {
    const app = await open(options);
    started.push(app);
    return app;
  }

  describe(`${name}: the adapter contract`, () => {
    afterEach(async () => {
      await Promise.all(started.splice(0).map((app) => app.stop()));
    });

    it('accepts with permessage-deflate and echoes text as text and binary as binary', async () => {
      const { ws } = await run();
      const client = await openWs(`${ws}/echo`);
      expect(client.extensions).toContain('permessage-deflate');
      const text = wsNextMessage(client);
      client.send('x'.repeat(300));
      expect(await text).toEqual({ data: Buffer.from('x'.repeat(300)), isBinary: false });
      const binary = wsNextMessage(client);
      client.send(Buffer.from([0, 1, 254, 255]));
      expect(await binary).toEqual({ data: Buffer.from([0, 1, 254, 255]), isBinary: true });
      const closed = wsClosed(client);
      client.close(1000);
      expect((await closed).code).toBe(1000);
    });

    it('accepts without permessage-deflate when the app turns it off, and still echoes', async () => {
      const { ws } = await run({ perMessageDeflate: false });
      const client = await openWs(`${ws}/echo`);
      expect(client.extensions).toBe('');
      const echoed = wsNextMessage(client);
      client.send('plain');
      expect((await echoed).data.toString()).toBe('plain');
      client.close();
    });

    it('keeps the bytes that arrive in the same write as the handshake', async () => {
      const { port } = await run();
      const response = await upgradeWith(port, '/echo', {}, clientFrame(0x1, 'early bird'), (r) =>
        r.includes('early bird'),
      );
      expect(response.status).toBe(101);
      expect(afterHead(response.raw)).toBe(serverTextFrame('early bird'));
    });

    it("negotiates the first subprotocol of the client's the app supports, and none when offered none", async () => {
      const { ws } = await run({ subprotocols: ['chat.v1'] });
      const offering = await openWs(`${ws}/echo`, { protocols: ['chat.v0', 'chat.v1'] });
      expect(offering.protocol).toBe('chat.v1');
      offering.close();
      const silent = await openWs(`${ws}/echo`);
      expect(silent.protocol).toBe('');
      silent.close();
    });

    it('refuses another Origin with 403 WSG_ORIGIN_REFUSED naming it, and accepts an allowed one', async () => {
      const { port, ws } = await run({ origins: ['http://allowed.example'] });
      const refused = await rawRequest(port, {
        path: '/echo',
        headers: { Origin: 'http://evil.example' },
      });
      expect(refused.status).toBe(403);
      expect(refused.headers['x-wsgate-error']).toBe('WSG_ORIGIN_REFUSED');
      expect(refused.body).toContain('http://evil.example');
      expect(refused.closedByServer).toBe(true);
      const allowed = await openWs(`${ws}/echo`, { origin: 'http://allowed.example' });
      allowed.close();
    });

    it('refuses version 8 with 426 and Sec-WebSocket-Version: 13 (RFC 6455 §4.4)', async () => {
      const { port } = await run();
      const response = await rawRequest(port, {
        path: '/echo',
        headers: { 'Sec-WebSocket-Version': '8' },
      });
      expect(response.status).toBe(426);
      expect(response.headers['sec-websocket-version']).toBe('13');
      expect(response.headers['x-wsgate-error']).toBe('WSG_VERSION_UNSUPPORTED');
    });

    it('answers an upgrade to a path nothing serves with 404 WSG_PATH_NOT_FOUND and closes, never 101, in JSON when asked', async () => {
      const { port } = await run();
      const response = await rawRequest(port, { path: '/nowhere?x=1', timeoutMs: 5_000 });
      expect(response.statusLine).toBe('HTTP/1.1 404 Not Found');
      expect(response.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
      expect(response.body).toContain('no WebSocket endpoint at /nowhere');
      expect(response.raw).not.toContain(' 101 ');
      expect(response.closedByServer).toBe(true);
      const json = await rawRequest(port, {
        path: '/nowhere',
        headers: { Accept: 'application/json' },
        timeoutMs: 5_000,
      });
      expect(JSON.parse(json.body).error).toMatchObject({
        code: 'WSG_PATH_NOT_FOUND',
        status: 404,
      });
    });

    it("answers a plain GET to the endpoint's path with 426 WSG_NOT_WEBSOCKET and Upgrade: websocket", async () => {
      const { url } = await run();
      const response = await fetch(`${url}/echo`);
      expect(response.status).toBe(426);
      expect(response.headers.get('upgrade')).toBe('websocket');
      expect(response.headers.get('x-wsgate-error')).toBe('WSG_NOT_WEBSOCKET');
      expect(await response.text()).toContain('WSG_NOT_WEBSOCKET');
    });

    it('leaves other plain requests to the app: its route answers, and its own 404 carries no X-WSGate-Error', async () => {
      const { url } = await run();
      const hello = await fetch(`${url}/hello`);
      expect(hello.status).toBe(200);
      expect(await hello.text()).toBe('hello');
      const missing = await fetch(`${url}/nowhere`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('x-wsgate-error')).toBeNull();
    });

    it('names the missing header when an upgrade attempt lacks Connection: Upgrade (400 WSG_CONNECTION_TOKEN_MISSING)', async () => {
      const { port } = await run();
      const response = await upgradeWith(
        port,
        '/echo',
        { Connection: 'keep-alive' },
        Buffer.alloc(0),
        (received) => received.includes('Fix: '),
      );
      expect(response.status).toBe(400);
      expect(response.headers['x-wsgate-error']).toBe('WSG_CONNECTION_TOKEN_MISSING');
      expect(response.raw).not.toContain(' 101 ');
    });

    it('answers 500 WSG_HOOK_FAILED when the handshake middleware does not settle within handshakeTimeoutMs', async () => {
      const { port } = await run({ handshakeTimeoutMs: 200 });
      const response = await rawRequest(port, { path: '/echo?stall', timeoutMs: 5_000 });
      expect(response.status).toBe(500);
      expect(response.headers['x-wsgate-error']).toBe('WSG_HOOK_FAILED');
      expect(response.closedByServer).toBe(true);
    });

    it('answers a POST upgrade to the endpoint with 405 WSG_METHOD_NOT_ALLOWED and Allow: GET (RFC 6455 §4.1)', async () => {
      const { port } = await run();
      const response = await rawRequest(port, { method: 'POST', path: '/echo?x=1' });
      expect(response.statusLine).toBe('HTTP/1.1 405 Method Not Allowed');
      expect(response.headers['x-wsgate-error']).toBe('WSG_METHOD_NOT_ALLOWED');
      expect(response.headers.allow).toBe('GET');
    });

    it('tells a page why its tagged attempt was refused, and answers 404 for an attempt it never saw', async () => {
      const { port, url } = await run({ origins: ['http://allowed.example'] });
      const attempts = [
        ['/nowhere', {}, 'WSG_PATH_NOT_FOUND', 404],
        ['/echo', { Origin: 'http://evil.example' }, 'WSG_ORIGIN_REFUSED', 403],
      ] as const;
      for (const [path, headers, code, status] of attempts) {
        const attempt = attemptId();
        const refused = await rawRequest(port, {
          path: `${path}?wsgate_attempt=${attempt}`,
          headers,
        });
        expect(refused.status).toBe(status);
        const lookup = await fetch(`${url}/.well-known/wsgate/refusal?attempt=${attempt}`);
        expect(lookup.status).toBe(200);
        expect(await lookup.json()).toMatchObject({ code, status });
      }
      const unknown = await fetch(`${url}/.well-known/wsgate/refusal?attempt=${attemptId()}`);
      expect(unknown.status).toBe(404);
    });

    it('refuses a handshake beyond maxConnections with 503 WSG_TOO_MANY_CONNECTIONS and Retry-After', async () => {
      const { port, ws } = await run({ maxConnections: 1 });
      const first = await openWs(`${ws}/echo`);
      const second = await rawRequest(port, { path: '/echo' });
      expect(second.status).toBe(503);
      expect(second.headers['x-wsgate-error']).toBe('WSG_TOO_MANY_CONNECTIONS');
      expect(second.headers['retry-after']).toBeDefined();
      first.close();
    });

    it('closes with 1009 WSG_MESSAGE_TOO_BIG on a message over maxMessageBytes, after echoing one at the limit', async () => {
      const { ws } = await run({ maxMessageBytes: 16 });
      const client = await openWs(`${ws}/echo`);
      const echoed = wsNextMessage(client);
      client.send('x'.repeat(16));
      expect((await echoed).data.toString()).toBe('x'.repeat(16));
      const closed = wsClosed(client);
      client.send('x'.repeat(17));
      expect(await closed).toMatchObject({
        code: 1009,
        reason: expect.stringMatching(/^WSG_MESSAGE_TOO_BIG/),
      });
    });

    it('pings every heartbeatIntervalMs', async () => {
      const { port } = await run({ heartbeatIntervalMs: 50 });
      const raw = await openRawWebSocket(port, { path: '/echo' });
      try {
        expect((await raw.waitForFrames(1, 2_000))[0]?.opcode).toBe(0x9);
      } finally {
        raw.destroy();
      }
    });

    it(`closes every connection with 1001 WSG_SERVER_SHUTDOWN on shutdown, then ${flags.afterShutdown === 'refuses with 503' ? 'refuses new handshakes with 503 WSG_SERVER_SHUTTING_DOWN' : 'stops listening'}`, async () => {
      const app = await run();
      const clients = await Promise.all([openWs(`${app.ws}/echo`), openWs(`${app.ws}/echo`)]);
      const closes = clients.map((client) => wsClosed(client));
      await app.closeWebSockets();
      for (const closed of await Promise.all(closes)) {
        expect(closed).toMatchObject({
          code: 1001,
          reason: expect.stringMatching(/^WSG_SERVER_SHUTDOWN/),
        });
      }
      if (flags.afterShutdown === 'refuses with 503') {
        const late = await rawRequest(app.port, { path: '/echo' });
        expect(late.status).toBe(503);
        expect(late.headers['x-wsgate-error']).toBe('WSG_SERVER_SHUTTING_DOWN');
      } else {
        await expect(openWs(`${app.ws}/echo`)).rejects.toThrow(/ECONNREFUSED/);
      }
    });
  });

  describe(`${name}: the adapter contract, framework answers to an upgrade request`, () => {
    const rows = frameworkAnswers.filter((row) => flags.answersVia.includes(row.via));
    let app: Running;
    beforeAll(async () => {
      // One app for every row: its journal holds their attempts.
      app = await open();
    });
    afterAll(async () => {
      await app?.stop();
    });

    it.each(rows.map((row) => [row.via, row.status ?? 'no status', row] as const))(
      'an %s with %s reaches the client with its status, code and headers, and the journal names the same code',
      async (_via, _status, row) => {
        const attempt = attemptId();
        const response = await rawRequest(app.port, {
          path: `/echo?answer=${row.id}&wsgate_attempt=${attempt}`,
        });
        expect(response.status).toBe(row.expected.status);
        expect(response.headers['x-wsgate-error']).toBe(row.expected.code);
        for (const [header, value] of Object.entries(row.expected.headers))
          expect(response.headers[header.toLowerCase()], header).toBe(value);
        if (row.via === 'error' && row.expected.status >= 500)
          expect(response.body).not.toContain(row.message ?? 'refused by the app');
        if (row.via === 'error' && row.expected.status < 500 && row.message !== undefined)
          expect(response.body).toContain(row.message);
        expect(response.raw).not.toContain(' 101 ');
        expect(response.closedByServer).toBe(true);
        const lookup = await fetch(`${app.url}/.well-known/wsgate/refusal?attempt=${attempt}`);
        expect(lookup.status).toBe(200);
        expect(await lookup.json()).toMatchObject({
          code: row.expected.code,
          status: row.expected.status,
        });
      },
    );
  });
}
