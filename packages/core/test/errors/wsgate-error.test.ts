import { describe, expect, test } from 'vitest';
import { catalogue, errorCodes } from '../../src/errors/catalogue.js';
import { isWsgateError, WsgateError } from '../../src/errors/wsgate-error.js';

describe('WsgateError', () => {
  test.each(errorCodes)('an error for %s carries the fields of its catalogue entry', (code) => {
    const entry: (typeof catalogue)[typeof code] & { status?: number; closeCode?: number } =
      catalogue[code];
    const error = new WsgateError(code);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(WsgateError);
    expect(error.name).toBe('WsgateError');
    expect(error.code).toBe(code);
    expect(error.kind).toBe(entry.kind);
    expect(error.status).toBe(entry.status);
    expect(error.closeCode).toBe(entry.closeCode);
    expect(error.title).toBe(entry.title);
    expect(error.fix).toBe(entry.fix);
    expect(error.detail).toBeUndefined();
    expect(error.message).toBe(`${code}: ${entry.title}. Fix: ${entry.fix}`);
  });

  test('the message names the code, the title, the detail and the fix', () => {
    const error = new WsgateError('WSG_CONNECT_REFUSED', {
      detail: 'connect ECONNREFUSED 127.0.0.1:9',
    });
    expect(error.message).toBe(
      `WSG_CONNECT_REFUSED: Connection refused (connect ECONNREFUSED 127.0.0.1:9). Fix: ${catalogue.WSG_CONNECT_REFUSED.fix}`,
    );
    expect(error.detail).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(error.status).toBeUndefined();
    expect(error.closeCode).toBeUndefined();
  });

  test('a handshake error carries its HTTP status, a protocol error its close code', () => {
    expect(new WsgateError('WSG_VERSION_UNSUPPORTED').status).toBe(426);
    expect(new WsgateError('WSG_TEXT_INVALID_UTF8').closeCode).toBe(1007);
  });

  test('the underlying error is kept as the standard cause', () => {
    const cause = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), {
      code: 'ENOTFOUND',
    });
    const error = new WsgateError('WSG_DNS_FAILED', { cause });
    expect(error.cause).toBe(cause);
    expect(error.message).not.toContain('ENOTFOUND');
  });

  test('without a cause there is no cause property', () => {
    expect('cause' in new WsgateError('WSG_DNS_FAILED')).toBe(false);
  });

  test('isWsgateError recognises instances only', () => {
    expect(isWsgateError(new WsgateError('WSG_URL_INVALID'))).toBe(true);
    expect(isWsgateError(Object.assign(new Error('x'), { code: 'WSG_URL_INVALID' }))).toBe(false);
    expect(isWsgateError({ code: 'WSG_URL_INVALID', name: 'WsgateError' })).toBe(false);
    expect(isWsgateError(undefined)).toBe(false);
  });
});
