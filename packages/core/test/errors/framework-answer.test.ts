import { describe, expect, it } from 'vitest';
import {
  answerForFrameworkError,
  clientCodeForStatus,
  codeForFrameworkStatus,
  frameworkAnswerStatuses,
  handshakeCodesWithStatus,
  objectionOf,
} from '../../src/adapter/index.js';
import { catalogue, WsgateError } from '../../src/index.js';

describe("the policy for a framework's answer to an upgrade request", () => {
  it.each(frameworkAnswerStatuses)(
    'a framework answer of %i is named by a code whose catalogue status is %i',
    (status) => {
      expect(catalogue[codeForFrameworkStatus(status)].status).toBe(status);
    },
  );

  it.each([
    [200, 'WSG_UPGRADE_NOT_HANDLED'],
    [204, 'WSG_UPGRADE_NOT_HANDLED'],
    [302, 'WSG_UPGRADE_NOT_HANDLED'],
    [401, 'WSG_AUTH_REQUIRED'],
    [403, 'WSG_FORBIDDEN'],
    [404, 'WSG_PATH_NOT_FOUND'],
    [405, 'WSG_METHOD_NOT_ALLOWED'],
    [408, 'WSG_REQUEST_TIMEOUT'],
    [413, 'WSG_REQUEST_TOO_LARGE'],
    [429, 'WSG_RATE_LIMITED'],
    [431, 'WSG_HEADERS_TOO_LARGE'],
    [500, 'WSG_HOOK_FAILED'],
    [503, 'WSG_SERVER_UNAVAILABLE'],
    [400, 'WSG_REQUEST_REFUSED'],
    [422, 'WSG_REQUEST_REFUSED'],
    [502, 'WSG_HOOK_FAILED'],
    [504, 'WSG_HOOK_FAILED'],
  ] as const)('status %i is %s', (status, code) => {
    expect(codeForFrameworkStatus(status)).toBe(code);
  });

  it('keeps the status an HTTP error chose, with its headers and its exposed message', () => {
    const error = Object.assign(new Error('slow down'), {
      status: 429,
      expose: true,
      headers: { 'retry-after': '30' },
    });
    expect(answerForFrameworkError(error, { 'X-Request-Id': 'r1' })).toEqual({
      refusal: {
        code: 'WSG_RATE_LIMITED',
        status: 429,
        detail: 'slow down',
        headers: { 'X-Request-Id': 'r1', 'Retry-After': '30' },
      },
      failure: false,
    });
  });

  it('leaves out a message that is only the reason phrase, and any message of a server error', () => {
    const bare = { status: 403, expose: true, message: 'Forbidden' };
    expect(answerForFrameworkError(bare).refusal.detail).toBeUndefined();
    const unavailable = { status: 503, expose: false, message: 'database pool exhausted' };
    expect(answerForFrameworkError(unavailable)).toEqual({
      refusal: { code: 'WSG_SERVER_UNAVAILABLE', status: 503, detail: undefined, headers: {} },
      failure: false,
    });
  });

  it('treats an error without an HTTP error status, and a 5xx other than 503, as a failure', () => {
    expect(answerForFrameworkError(new Error('boom'))).toEqual({
      refusal: { code: 'WSG_HOOK_FAILED', headers: {} },
      failure: true,
    });
    expect(answerForFrameworkError({ status: 302 }).failure).toBe(true);
    expect(answerForFrameworkError({ status: 502 })).toMatchObject({
      refusal: { code: 'WSG_HOOK_FAILED', status: 502 },
      failure: true,
    });
    expect(answerForFrameworkError(new WsgateError('WSG_INTERNAL_ERROR')).failure).toBe(true);
  });

  it('keeps the code of a thrown handshake WsgateError', () => {
    const error = new WsgateError('WSG_ORIGIN_REFUSED', { detail: 'https://evil.example' });
    expect(answerForFrameworkError(error)).toEqual({
      refusal: { code: 'WSG_ORIGIN_REFUSED', detail: 'https://evil.example', headers: {} },
      failure: false,
    });
  });
});

describe("the catalogue's reverse index", () => {
  it('lists the handshake codes of a status', () => {
    expect(handshakeCodesWithStatus(429)).toEqual(['WSG_RATE_LIMITED']);
    expect(handshakeCodesWithStatus(503)).toEqual([
      'WSG_TOO_MANY_CONNECTIONS',
      'WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT',
      'WSG_SERVER_SHUTTING_DOWN',
      'WSG_SERVER_UNAVAILABLE',
    ]);
  });

  it('gives every three-digit status one client code, the narrowest range first', () => {
    for (let status = 0; status <= 999; status++) {
      if (status === 101) continue;
      expect(() => clientCodeForStatus(status)).not.toThrow();
    }
    expect(clientCodeForStatus(404)).toBe('WSG_RESPONSE_NOT_FOUND');
    expect(clientCodeForStatus(426)).toBe('WSG_RESPONSE_UPGRADE_REQUIRED');
    expect(clientCodeForStatus(302)).toBe('WSG_RESPONSE_NOT_UPGRADED');
    expect(clientCodeForStatus(200)).toBe('WSG_RESPONSE_NOT_UPGRADED');
    expect(clientCodeForStatus(429)).toBe('WSG_RESPONSE_REFUSED');
    expect(clientCodeForStatus(503)).toBe('WSG_RESPONSE_REFUSED');
    expect(clientCodeForStatus(42)).toBe('WSG_RESPONSE_MALFORMED');
  });

  it('names the request header a refusal objects to', () => {
    expect(objectionOf('WSG_ORIGIN_REFUSED')).toBe('Origin');
    expect(objectionOf('WSG_KEY_INVALID')).toBe('Sec-WebSocket-Key');
    expect(objectionOf('WSG_FORBIDDEN')).toBeUndefined();
  });
});
