import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawRequest } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { answerRefusalLookup, UpgradeExchange } from '../../src/adapter/index.js';
import { RefusalJournal, WebSocketServer } from '../../src/index.js';

const attempt = (n: number) => `attempt-${String(n).padStart(12, '0')}`;

describe('reasons a browser can read: the refusal journal', () => {
  const servers: Array<{ close: () => unknown }> = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  it('records a tagged refused handshake and answers the lookup with code, cause and fix', async () => {
    const journal = new RefusalJournal();
    const server = new WebSocketServer({ path: '/echo', refusalJournal: journal });
    servers.push(server);
    const { port } = await server.listen(0);
    const refused = await rawRequest(port, { path: `/nope?wsgate_attempt=${attempt(1)}` });
    expect(refused.status).toBe(404);
    const lookup = await fetch(
      `http://127.0.0.1:${port}/.well-known/wsgate/refusal?attempt=${attempt(1)}`,
    );
    expect(lookup.status).toBe(200);
    const body = (await lookup.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'WSG_PATH_NOT_FOUND', status: 404 });
    expect(String(body.fix)).toContain('path');
    expect(JSON.stringify(body)).not.toContain('/nope');
  });

  it('records a refused Origin by its code only: the lookup never repeats the Origin or the path', async () => {
    const journal = new RefusalJournal();
    const server = new WebSocketServer({
      path: '/echo',
      origins: ['https://app.example'],
      refusalJournal: journal,
    });
    servers.push(server);
    const { port } = await server.listen(0);
    const refused = await rawRequest(port, {
      path: `/echo?secret=s3cr3t&wsgate_attempt=${attempt(6)}`,
      headers: { Origin: 'https://evil.example', Cookie: 'session=private' },
    });
    expect(refused.status).toBe(403);
    const lookup = await fetch(
      `http://127.0.0.1:${port}/.well-known/wsgate/refusal?attempt=${attempt(6)}`,
    );
    expect(lookup.headers.get('cache-control')).toBe('no-store');
    const text = await lookup.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'WSG_ORIGIN_REFUSED', status: 403 });
    expect(Object.keys(JSON.parse(text)).sort()).toEqual([
      'cause',
      'code',
      'fix',
      'status',
      'title',
    ]);
    expect(text).not.toMatch(/evil\.example|s3cr3t|session|\/echo/);
  });

  it('answers 404 for an attempt that was not refused and ignores malformed attempt ids', async () => {
    const journal = new RefusalJournal();
    const server = new WebSocketServer({ path: '/echo', refusalJournal: journal });
    servers.push(server);
    const { port } = await server.listen(0);
    await rawRequest(port, { path: '/nope?wsgate_attempt=short' });
    expect(journal.size).toBe(0);
    const lookup = await fetch(
      `http://127.0.0.1:${port}/.well-known/wsgate/refusal?attempt=${attempt(2)}`,
    );
    expect(lookup.status).toBe(404);
    // The same catalogue answer as every refusal: its code in the header and the JSON body.
    expect(lookup.headers.get('x-wsgate-error')).toBe('WSG_ATTEMPT_UNKNOWN');
    expect(await lookup.json()).toMatchObject({
      error: { code: 'WSG_ATTEMPT_UNKNOWN', status: 404 },
    });
  });

  it('rate-limits lookups per address with 429 and Retry-After', async () => {
    const journal = new RefusalJournal({ lookupsPerMinute: 3 });
    const http: Server = createHttpServer((request, response) => {
      if (!answerRefusalLookup(request, response, journal)) response.end('app');
    });
    servers.push({ close: () => new Promise((resolve) => http.close(resolve)) });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await fetch(
        `http://127.0.0.1:${port}/.well-known/wsgate/refusal?attempt=${attempt(3)}`,
      );
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('retry-after')).toBe('60');
        expect(response.headers.get('x-wsgate-error')).toBe('WSG_RATE_LIMITED');
        expect(await response.json()).toMatchObject({
          error: {
            code: 'WSG_RATE_LIMITED',
            status: 429,
            detail: expect.stringMatching(/lookups/),
          },
        });
      } else await response.body?.cancel();
    }
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    expect(await (await fetch(`http://127.0.0.1:${port}/other`)).text()).toBe('app');
  });

  it('keeps at most maxEntries attempts, dropping the oldest, and forgets expired ones', () => {
    const journal = new RefusalJournal({ maxEntries: 2 });
    const request = (id: string) =>
      ({ query: new URLSearchParams({ wsgate_attempt: id }) }) as unknown as Parameters<
        RefusalJournal['recordFor']
      >[0];
    journal.recordFor(request(attempt(1)), 'WSG_FORBIDDEN', 403);
    journal.recordFor(request(attempt(2)), 'WSG_FORBIDDEN', 403);
    journal.recordFor(request(attempt(3)), 'WSG_FORBIDDEN', 403);
    expect(journal.size).toBe(2);
    expect(journal.lookup(attempt(1), 'a')).toBe('unknown');
    expect(journal.lookup(attempt(3), 'a')).toEqual({
      found: { code: 'WSG_FORBIDDEN', status: 403 },
    });
    const expiring = new RefusalJournal({ ttlMs: -1 });
    expiring.recordFor(request(attempt(4)), 'WSG_FORBIDDEN', 403);
    expect(expiring.lookup(attempt(4), 'a')).toBe('unknown');
  });

  it('records an answer a framework wrote itself through an UpgradeExchange', async () => {
    const journal = new RefusalJournal();
    const http = createHttpServer();
    http.on('upgrade', (request, socket, head) => {
      const exchange = new UpgradeExchange(request, socket, head, journal);
      exchange.response.statusCode = 401;
      exchange.response.setHeader('WWW-Authenticate', 'Bearer');
      exchange.response.end('sign in first');
    });
    servers.push({ close: () => new Promise((resolve) => http.close(resolve)) });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const answer = await rawRequest(port, { path: `/chat?wsgate_attempt=${attempt(5)}` });
    expect(answer.status).toBe(401);
    expect(answer.body).toBe('sign in first');
    expect(journal.lookup(attempt(5), 'a')).toEqual({
      found: { code: 'WSG_AUTH_REQUIRED', status: 401 },
    });
  });
});
