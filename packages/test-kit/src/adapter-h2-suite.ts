import { RefusalJournal } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContractApp, ContractOptions } from './adapter-app.js';
import { frameworkAnswers } from './framework-answers.js';
import {
  closeOf,
  h1UpgradeAnswer,
  h2ConnectAnswer,
  h2Get,
  nextMessageOf,
  openTlsWebSocket,
} from './h2-client.js';
import { selfSignedCertificate } from './net.js';

/** What an app of the h2 contract is given besides the contract options: its TLS identity. */
export interface H2ContractOptions extends ContractOptions {
  readonly tls: { readonly cert: string; readonly key: string };
}

/**
 * The app of the adapter contract (see ContractOptions), served by an HTTP/2 TLS server made
 * with `allowHTTP1: true` on 127.0.0.1 port 0; `url` is `https://127.0.0.1:PORT`.
 */
export type StartH2ContractApp = (options: H2ContractOptions) => Promise<ContractApp>;

let certificate: { cert: string; key: string } | undefined;

/**
 * The adapter contract's essential cases over HTTP/2 (RFC 8441), on a server that also takes
 * HTTP/1.1: the framework's routing and middleware decide every extended CONNECT as they decide
 * an HTTP/1.1 upgrade, and each refusal (status, X-WSGate-Error, body) is the same on both.
 */
export function describeAdapterOverHttp2(name: string, start: StartH2ContractApp): void {
  const started: ContractApp[] = [];

  async function run(options: Omit<ContractOptions, 'refusalJournal'> = {}) {
    certificate ??= selfSignedCertificate();
    const app = await start({ refusalJournal: new RefusalJournal(), tls: certificate, ...options });
    started.push(app);
    return { ...app, port: Number(new URL(app.url).port) };
  }

  /** The same request as an extended CONNECT and as an HTTP/1.1 upgrade: both answers. */
  async function bothAnswers(port: number, path: string, headers: Record<string, string> = {}) {
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const [h2, h1] = await Promise.all([
      h2ConnectAnswer(port, path, lower),
      h1UpgradeAnswer(port, path, headers),
    ]);
    return { h2, h1 };
  }

  describe(`${name}: the adapter contract over HTTP/2`, () => {
    afterEach(async () => {
      await Promise.all(started.splice(0).map((app) => app.stop()));
    });

    it('accepts an extended CONNECT on /echo and echoes text as text and binary as binary', async () => {
      const { port } = await run();
      const connection = await openTlsWebSocket(port, '/echo', true);
      expect(connection.transport).toBe('h2');
      const text = nextMessageOf(connection);
      connection.send('x'.repeat(300));
      expect(await text).toEqual({ data: Buffer.from('x'.repeat(300)), isBinary: false });
      const binary = nextMessageOf(connection);
      connection.send(Buffer.from([0, 1, 254, 255]));
      expect(await binary).toEqual({ data: Buffer.from([0, 1, 254, 255]), isBinary: true });
      const closed = closeOf(connection);
      connection.close(1000);
      expect((await closed).code).toBe(1000);
    });

    it('still accepts an HTTP/1.1 upgrade on the same port, and serves ordinary requests over HTTP/2', async () => {
      const { port } = await run();
      const connection = await openTlsWebSocket(port, '/echo', false);
      expect(connection.transport).toBe('http/1.1');
      const echoed = nextMessageOf(connection);
      connection.send('over one');
      expect((await echoed).data.toString()).toBe('over one');
      connection.close();
      const hello = await h2Get(port, '/hello');
      expect(hello.status).toBe(200);
      expect(hello.body).toBe('hello');
    });

    it('answers an extended CONNECT to a path nothing serves with 404 WSG_PATH_NOT_FOUND, as over HTTP/1.1', async () => {
      const { port } = await run();
      const { h2, h1 } = await bothAnswers(port, '/nowhere?x=1');
      expect(h2.status).toBe(404);
      expect(h2.code).toBe('WSG_PATH_NOT_FOUND');
      expect(h2.body).toContain('no WebSocket endpoint at /nowhere');
      expect([h1.status, h1.code, h1.body]).toEqual([h2.status, h2.code, h2.body]);
    });

    it('refuses another Origin with 403 WSG_ORIGIN_REFUSED over HTTP/2 as over HTTP/1.1, and accepts an allowed one', async () => {
      const { port } = await run({ origins: ['http://allowed.example'] });
      const { h2, h1 } = await bothAnswers(port, '/echo', { Origin: 'http://evil.example' });
      expect(h2.status).toBe(403);
      expect(h2.code).toBe('WSG_ORIGIN_REFUSED');
      expect(h2.body).toContain('http://evil.example');
      expect([h1.status, h1.code, h1.body]).toEqual([h2.status, h2.code, h2.body]);
      const allowed = await h2ConnectAnswer(port, '/echo', { origin: 'http://allowed.example' });
      expect(allowed.status).toBe(200);
    });

    const rows = frameworkAnswers.filter((row) => row.id === 'auth' || row.id === 'forbidden');
    it.each(rows.map((row) => [row.expected.status, row.expected.code, row] as const))(
      "the app's handshake middleware refuses an extended CONNECT with %s %s, as it refuses the HTTP/1.1 upgrade",
      async (_status, _code, row) => {
        const { port } = await run();
        const { h2, h1 } = await bothAnswers(port, `/echo?answer=${row.id}`);
        expect(h2.status).toBe(row.expected.status);
        expect(h2.code).toBe(row.expected.code);
        for (const [header, value] of Object.entries(row.expected.headers))
          expect(h2.headers[header.toLowerCase()], header).toBe(value);
        expect([h1.status, h1.code, h1.body]).toEqual([h2.status, h2.code, h2.body]);
      },
    );

    it('closes WebSockets over HTTP/2 and HTTP/1.1 with 1001 WSG_SERVER_SHUTDOWN on shutdown', async () => {
      const app = await run();
      const clients = await Promise.all([
        openTlsWebSocket(app.port, '/echo', true),
        openTlsWebSocket(app.port, '/echo', false),
      ]);
      const closes = clients.map((client) => closeOf(client));
      await app.closeWebSockets();
      for (const closed of await Promise.all(closes)) {
        expect(closed).toMatchObject({
          code: 1001,
          reason: expect.stringMatching(/^WSG_SERVER_SHUTDOWN/),
        });
      }
    });
  });
}
