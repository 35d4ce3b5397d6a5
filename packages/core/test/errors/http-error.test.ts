import { describe, expect, it } from 'vitest';
import { handshakeErrorRefusal, readHttpError } from '../../src/adapter/index.js';
import { WsgateError } from '../../src/index.js';

describe("reading an application's HTTP errors", () => {
  it("reads http-errors' status, exposed message and headers", () => {
    const error = Object.assign(new Error('admins only'), {
      status: 403,
      expose: true,
      headers: { 'www-authenticate': 'Cookie', 'X-Tries': 3, Vary: ['a', 'b'] },
    });
    expect(readHttpError(error)).toEqual({
      status: 403,
      message: 'admins only',
      expose: true,
      headers: { 'WWW-Authenticate': 'Cookie', 'X-Tries': '3', Vary: 'a, b' },
    });
  });

  it('takes statusCode, or getStatus() of an exception, when there is no status', () => {
    expect(readHttpError({ statusCode: 429 }).status).toBe(429);
    expect(readHttpError({ getStatus: () => 401 }).status).toBe(401);
    // An exception's 4xx message is meant for the client (Nest sends it); a 5xx one never is.
    expect(readHttpError({ getStatus: () => 429, message: 'slow down' }).expose).toBe(true);
    expect(readHttpError({ getStatus: () => 503, message: 'db down' }).expose).toBe(false);
    expect(readHttpError({ status: 'bad' }).status).toBeUndefined();
    expect(readHttpError('a string').status).toBeUndefined();
  });

  it('leaves Content-Type and Content-Length to the refusal', () => {
    const { headers } = readHttpError({ headers: { 'Content-Type': 'x', 'content-length': 9 } });
    expect(headers).toEqual({});
  });
});

describe('refusals for application errors', () => {
  it('refuses a handshake WsgateError with its own code and detail, matched by shape', () => {
    const error = new WsgateError('WSG_TOO_MANY_CONNECTIONS', { detail: 'the room is full' });
    expect(handshakeErrorRefusal(error)).toEqual({
      code: 'WSG_TOO_MANY_CONNECTIONS',
      detail: 'the room is full',
      headers: {},
    });
    // A CommonJS copy of core is another class: the shape decides.
    expect(handshakeErrorRefusal({ code: 'WSG_FORBIDDEN', kind: 'handshake' })).toEqual({
      code: 'WSG_FORBIDDEN',
      headers: {},
    });
    expect(handshakeErrorRefusal(new WsgateError('WSG_INTERNAL_ERROR'))).toBeUndefined();
    expect(handshakeErrorRefusal(new Error('WSG_FORBIDDEN'))).toBeUndefined();
  });
});
