import { describe, expect, it } from 'vitest';
import {
  handshakeErrorRefusal,
  readHttpError,
  refusalForClientError,
} from '../../src/adapter/index.js';
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
    expect(readHttpError({ status: 'bad' }).status).toBeUndefined();
    expect(readHttpError('a string').status).toBeUndefined();
  });

  it('leaves Content-Type and Content-Length to the refusal', () => {
    const { headers } = readHttpError({ headers: { 'Content-Type': 'x', 'content-length': 9 } });
    expect(headers).toEqual({});
  });
});

describe('refusals for application errors', () => {
  it('maps 401, 404 and any other 4xx to their catalogue codes, keeping an unusual status', () => {
    expect(refusalForClientError(401, undefined, { 'WWW-Authenticate': 'Bearer' })).toEqual({
      code: 'WSG_AUTH_REQUIRED',
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
    expect(refusalForClientError(404, 'no room')).toEqual({
      code: 'WSG_PATH_NOT_FOUND',
      detail: 'no room',
      headers: {},
    });
    expect(refusalForClientError(403)).toEqual({ code: 'WSG_FORBIDDEN', headers: {} });
    expect(refusalForClientError(429)).toEqual({ code: 'WSG_FORBIDDEN', status: 429, headers: {} });
  });

  it('gives no refusal for a status that is not a client error', () => {
    for (const status of [200, 302, 500, 503, 400.5]) {
      expect(refusalForClientError(status)).toBeUndefined();
    }
  });

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
