import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawRequest } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { answerRefusalLookup, UpgradeExchange } from '../../src/adapter/index.js';
import { RefusalJournal, WebSocketServer } from '../../src/index.js';
import { DEFAULT_REFUSALS_PER_ADDRESS } from '../../src/node/refusal-journal.js';

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

  it('writes an entry once: a refusal of the same attempt from another address leaves the first', async () => {
    const journal = new RefusalJournal();
    const server = new WebSocketServer({
      path: '/echo',
      origins: ['https://app.example'],
      refusalJournal: journal,
    });
    servers.push(server);
    const { port } = await server.listen(0, '127.0.0.1');
    const victim = await rawRequest(port, { path: `/nope?wsgate_attempt=${attempt(7)}` });
    expect(victim.status).toBe(404);
    const attacker = await rawRequest(port, {
      path: `/echo?wsgate_attempt=${attempt(7)}`,
      headers: { Origin: 'https://evil.example' },
      localAddress: '127.0.0.2',
    });
    expect(attacker.status).toBe(403);
    const lookup = await fetch(
      `http://127.0.0.1:${port}/.well-known/wsgate/refusal?attempt=${attempt(7)}`,
    );
    expect(await lookup.json()).toMatchObject({ code: 'WSG_PATH_NOT_FOUND', status: 404 });
  });

  it("keeps another address's entry through a flood of refused handshakes from one address", async () => {
    const journal = new RefusalJournal({ maxEntries: 100 });
    const server = new WebSocketServer({ path: '/echo', refusalJournal: journal });
    servers.push(server);
    const { port } = await server.listen(0, '127.0.0.1');
    await rawRequest(port, { path: `/nope?wsgate_attempt=${attempt(8)}` });
    for (let i = 0; i < 150; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          rawRequest(port, {
            path: `/nope?wsgate_attempt=${attempt(1_000 + i + j)}`,
            localAddress: '127.0.0.2',
          }),
        ),
      );
    }
    expect(journal.lookup(attempt(8), 'someone')).toEqual({
      found: { code: 'WSG_PATH_NOT_FOUND', status: 404 },
    });
    expect(journal.size).toBeLessThanOrEqual(1 + DEFAULT_REFUSALS_PER_ADDRESS);
  });
});

describe('the refusal journal behind a reverse proxy', () => {
  it('counts clients by the TCP peer unless clientAddressHeader names the header the proxy sets', async () => {
    const lookups = async (journal: RefusalJournal): Promise<number[]> => {
      const http: Server = createHttpServer((request, response) => {
        answerRefusalLookup(request, response, journal);
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const { port } = http.address() as AddressInfo;
      const statuses: number[] = [];
      for (const client of ['203.0.113.1', '203.0.113.2']) {
        const response = await fetch(
          `http://127.0.0.1:${port}/.well-known/wsgate/refusal?attempt=${attempt(9)}`,
          { headers: { 'X-Forwarded-For': `198.51.100.9, ${client}` } },
        );
        statuses.push(response.status);
      }
      await new Promise((resolve) => http.close(resolve));
      return statuses;
    };
    expect(await lookups(new RefusalJournal({ lookupsPerMinute: 1 }))).toEqual([404, 429]);
    expect(
      await lookups(
        new RefusalJournal({ lookupsPerMinute: 1, clientAddressHeader: 'X-Forwarded-For' }),
      ),
    ).toEqual([404, 404]);
  });
});

describe('the refusal journal under attack, on an injected clock', () => {
  const refusedFrom = (remoteAddress: string, id: string) =>
    ({
      query: new URLSearchParams({ wsgate_attempt: id }),
      remoteAddress,
    }) as unknown as Parameters<RefusalJournal['recordFor']>[0];

  it('10,050 refusals from one address in 2 s evict nobody else, and keep its newest', () => {
    let now = 0;
    const journal = new RefusalJournal({ clock: () => now });
    journal.recordFor(refusedFrom('192.0.2.1', attempt(1)), 'WSG_FORBIDDEN', 403);
    for (let i = 0; i < 10_050; i++) {
      now = (i * 2_000) / 10_050;
      journal.recordFor(
        refusedFrom('198.51.100.7', attempt(100_000 + i)),
        'WSG_ORIGIN_REFUSED',
        403,
      );
    }
    expect(journal.lookup(attempt(1), 'a')).toEqual({
      found: { code: 'WSG_FORBIDDEN', status: 403 },
    });
    expect(journal.lookup(attempt(110_049), 'a')).toEqual({
      found: { code: 'WSG_ORIGIN_REFUSED', status: 403 },
    });
    expect(journal.size).toBe(1 + DEFAULT_REFUSALS_PER_ADDRESS);
  });

  it('counts the addresses of one IPv6 /64 as one client', () => {
    const journal = new RefusalJournal({ clock: () => 0, maxEntries: 100 });
    journal.recordFor(refusedFrom('2001:db8:1::1', attempt(1)), 'WSG_FORBIDDEN', 403);
    for (let i = 0; i < 500; i++)
      journal.recordFor(
        refusedFrom(`2001:db8:2:0:${i.toString(16)}::1`, attempt(1_000 + i)),
        'WSG_FORBIDDEN',
        403,
      );
    expect(journal.lookup(attempt(1), 'a')).not.toBe('unknown');
    expect(journal.size).toBe(1 + DEFAULT_REFUSALS_PER_ADDRESS);
  });

  it('forgets an entry ttlMs after it was recorded, on its monotonic clock', () => {
    let now = 1_000;
    const journal = new RefusalJournal({ clock: () => now, ttlMs: 60_000 });
    journal.recordFor(refusedFrom('192.0.2.1', attempt(1)), 'WSG_FORBIDDEN', 403);
    now = 61_000;
    expect(journal.lookup(attempt(1), 'a')).not.toBe('unknown');
    now = 61_001;
    expect(journal.lookup(attempt(1), 'a')).toBe('unknown');
  });

  it("keeps an address's spent lookup budget while 10,001 other addresses look up", () => {
    let now = 0;
    const journal = new RefusalJournal({ clock: () => now, lookupsPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect(journal.lookup(attempt(1), '192.0.2.1')).toBe('unknown');
    expect(journal.lookup(attempt(1), '192.0.2.1')).toBe('rate-limited');
    for (let i = 0; i < 10_001; i++) {
      now = i / 100;
      journal.lookup(attempt(1), `10.0.${i >> 8}.${i & 0xff}`);
      if (i % 1_000 === 0) expect(journal.lookup(attempt(1), '192.0.2.1')).toBe('rate-limited');
    }
    expect(journal.lookup(attempt(1), '192.0.2.1')).toBe('rate-limited');
  });

  it('refills the lookup budget gradually: one lookup per minute / lookupsPerMinute', () => {
    let now = 0;
    const journal = new RefusalJournal({ clock: () => now, lookupsPerMinute: 3 });
    for (let i = 0; i < 3; i++) journal.lookup(attempt(1), '192.0.2.1');
    now = 19_999;
    expect(journal.lookup(attempt(1), '192.0.2.1')).toBe('rate-limited');
    now = 20_010;
    expect(journal.lookup(attempt(1), '192.0.2.1')).toBe('unknown');
    expect(journal.lookup(attempt(1), '192.0.2.1')).toBe('rate-limited');
  });

  it('counts lookups from one IPv6 /64 against one budget', () => {
    const journal = new RefusalJournal({ clock: () => 0, lookupsPerMinute: 2 });
    expect(journal.lookup(attempt(1), '2001:db8::1')).toBe('unknown');
    expect(journal.lookup(attempt(1), '2001:db8::2')).toBe('unknown');
    expect(journal.lookup(attempt(1), '2001:db8:0:0:ffff::3')).toBe('rate-limited');
    expect(journal.lookup(attempt(1), '2001:db8:0:1::1')).toBe('unknown');
  });
});
