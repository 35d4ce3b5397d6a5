import type { HandshakeCode } from '@wsgate/core';

/**
 * One table of framework answers to an upgrade request, and what wsgate makes of each, the same
 * in every adapter (core's framework-answer policy): asserted for each adapter by describeAdapter.
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
