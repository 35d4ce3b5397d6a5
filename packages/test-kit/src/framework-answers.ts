import { randomBytes } from 'node:crypto';
import type { HandshakeCode } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import { rawRequest } from './raw-http.js';

/**
 * One table of framework answers to an upgrade request, and what wsgate makes of each, the same
 * in every adapter (core's framework-answer policy): run by the Express, Koa and Nest tests.
 */

export interface FrameworkAnswer {
  /** Names the row in the request (`?answer=ID`). */
  readonly id: string;
  /**
   * How the app's middleware (or guard) produces it: `error` raises an HTTP error with `status`
   * and `headers` (Express's next(err), Koa's ctx.throw, Nest's HttpException; no status: a plain
   * Error); `response` writes `status` and `headers` itself with a body of its own.
   */
  readonly via: 'error' | 'response';
  readonly status?: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The error's message (exposed to the client for a 4xx). */
  readonly message?: string;
  readonly expected: {
    readonly status: number;
    /** In X-WSGate-Error, and in the refusal journal. */
    readonly code: HandshakeCode;
    /** Headers of the app's that reach the client. */
    readonly headers: Readonly<Record<string, string>>;
  };
}

export const frameworkAnswers: readonly FrameworkAnswer[] = [
  {
    id: 'auth',
    via: 'error',
    status: 401,
    headers: { 'WWW-Authenticate': 'Bearer realm="ws"' },
    message: 'token expired',
    expected: {
      status: 401,
      code: 'WSG_AUTH_REQUIRED',
      headers: { 'WWW-Authenticate': 'Bearer realm="ws"' },
    },
  },
  {
    id: 'forbidden',
    via: 'error',
    status: 403,
    headers: {},
    expected: { status: 403, code: 'WSG_FORBIDDEN', headers: {} },
  },
  {
    id: 'not-found',
    via: 'error',
    status: 404,
    headers: {},
    expected: { status: 404, code: 'WSG_PATH_NOT_FOUND', headers: {} },
  },
  {
    id: 'method',
    via: 'error',
    status: 405,
    headers: { Allow: 'GET' },
    expected: { status: 405, code: 'WSG_METHOD_NOT_ALLOWED', headers: { Allow: 'GET' } },
  },
  {
    id: 'timeout',
    via: 'error',
    status: 408,
    headers: {},
    expected: { status: 408, code: 'WSG_REQUEST_TIMEOUT', headers: {} },
  },
  {
    id: 'too-large',
    via: 'error',
    status: 413,
    headers: {},
    expected: { status: 413, code: 'WSG_REQUEST_TOO_LARGE', headers: {} },
  },
  {
    id: 'rate-limited',
    via: 'error',
    status: 429,
    headers: { 'Retry-After': '30' },
    message: 'slow down',
    expected: { status: 429, code: 'WSG_RATE_LIMITED', headers: { 'Retry-After': '30' } },
  },
  {
    id: 'headers-too-large',
    via: 'error',
    status: 431,
    headers: {},
    expected: { status: 431, code: 'WSG_HEADERS_TOO_LARGE', headers: {} },
  },
  {
    id: 'unprocessable',
    via: 'error',
    status: 422,
    headers: {},
    message: 'room id must be a number',
    expected: { status: 422, code: 'WSG_REQUEST_REFUSED', headers: {} },
  },
  {
    id: 'server-error',
    via: 'error',
    status: 500,
    headers: {},
    expected: { status: 500, code: 'WSG_HOOK_FAILED', headers: {} },
  },
  {
    id: 'bad-gateway',
    via: 'error',
    status: 502,
    headers: {},
    expected: { status: 502, code: 'WSG_HOOK_FAILED', headers: {} },
  },
  {
    id: 'unavailable',
    via: 'error',
    status: 503,
    headers: { 'Retry-After': '10' },
    expected: { status: 503, code: 'WSG_SERVER_UNAVAILABLE', headers: { 'Retry-After': '10' } },
  },
  {
    id: 'thrown',
    via: 'error',
    headers: {},
    message: 'database connection lost',
    expected: { status: 500, code: 'WSG_HOOK_FAILED', headers: {} },
  },
  {
    id: 'ok',
    via: 'response',
    status: 200,
    headers: {},
    expected: { status: 200, code: 'WSG_UPGRADE_NOT_HANDLED', headers: {} },
  },
  {
    id: 'redirect',
    via: 'response',
    status: 302,
    headers: { Location: '/login' },
    expected: { status: 302, code: 'WSG_UPGRADE_NOT_HANDLED', headers: { Location: '/login' } },
  },
  {
    id: 'rate-limited-response',
    via: 'response',
    status: 429,
    headers: { 'Retry-After': '30' },
    expected: { status: 429, code: 'WSG_RATE_LIMITED', headers: { 'Retry-After': '30' } },
  },
  {
    id: 'unavailable-response',
    via: 'response',
    status: 503,
    headers: { 'Retry-After': '10' },
    expected: { status: 503, code: 'WSG_SERVER_UNAVAILABLE', headers: { 'Retry-After': '10' } },
  },
];

/** The row a request asks for with `?answer=ID`, if any. */
export function frameworkAnswerFor(url: string | undefined): FrameworkAnswer | undefined {
  const query = (url ?? '').split('?')[1] ?? '';
  const id = new URLSearchParams(query).get('answer');
  return frameworkAnswers.find((row) => row.id === id);
}

/** The error an `error` row raises, shaped as http-errors makes them (Express's and Koa's). */
export function httpErrorFor(row: FrameworkAnswer): Error {
  const error = new Error(row.message ?? 'refused by the app');
  if (row.status === undefined) return error;
  return Object.assign(error, {
    status: row.status,
    statusCode: row.status,
    expose: row.status < 500,
    headers: row.headers,
  });
}

export interface FrameworkAnswerApp {
  readonly port: number;
  /** The WebSocket route; its middleware produces the row asked for with `?answer=ID`. */
  readonly path: string;
  close(): Promise<void>;
}

export interface FrameworkAnswerSuiteOptions {
  /** Which rows the adapter can produce (Nest's guards only raise errors). */
  readonly via?: readonly FrameworkAnswer['via'][];
}

/**
 * Asserts every row over real sockets: a raw upgrade request tagged with an attempt id gets the
 * expected status, X-WSGate-Error and the app's headers, and the refusal lookup then names the
 * same code and status. Also: a POST upgrade to the WebSocket route gets 405 with Allow: GET.
 */
export function frameworkAnswerSuite(
  adapter: string,
  start: () => Promise<FrameworkAnswerApp>,
  options: FrameworkAnswerSuiteOptions = {},
): void {
  const via = options.via ?? ['error', 'response'];
  const rows = frameworkAnswers.filter((row) => via.includes(row.via));
  describe(`${adapter}: framework answers to an upgrade request`, () => {
    it.each(rows.map((row) => [row.via, row.status ?? 'no status', row] as const))(
      'an %s with %s reaches the client with its status, code and headers, and the journal names the same code',
      async (_via, _status, row) => {
        const app = await start();
        try {
          const attempt = randomBytes(16).toString('hex');
          const response = await rawRequest(app.port, {
            path: `${app.path}?answer=${row.id}&wsgate_attempt=${attempt}`,
          });
          expect(response.status).toBe(row.expected.status);
          expect(response.headers['x-wsgate-error']).toBe(row.expected.code);
          for (const [name, value] of Object.entries(row.expected.headers))
            expect(response.headers[name.toLowerCase()], name).toBe(value);
          if (row.via === 'error' && row.expected.status >= 500)
            expect(response.body).not.toContain(row.message ?? 'refused by the app');
          const lookup = await fetch(
            `http://127.0.0.1:${app.port}/.well-known/wsgate/refusal?attempt=${attempt}`,
          );
          expect(lookup.status).toBe(200);
          expect(await lookup.json()).toMatchObject({
            code: row.expected.code,
            status: row.expected.status,
          });
        } finally {
          await app.close();
        }
      },
    );

    it('a POST upgrade to the WebSocket route gets 405 WSG_METHOD_NOT_ALLOWED with Allow: GET (RFC 6455 §4.1)', async () => {
      const app = await start();
      try {
        const response = await rawRequest(app.port, { method: 'POST', path: app.path });
        expect(response.status).toBe(405);
        expect(response.headers['x-wsgate-error']).toBe('WSG_METHOD_NOT_ALLOWED');
        expect(response.headers.allow).toBe('GET');
      } finally {
        await app.close();
      }
    });
  });
}
