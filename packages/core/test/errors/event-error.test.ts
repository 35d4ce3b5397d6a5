import { describe, expect, it } from 'vitest';
import { closesOnError, ERROR_EVENT, eventErrorMessage } from '../../src/adapter/index.js';
import { catalogue } from '../../src/index.js';

describe('error messages of the event protocol', () => {
  it("sends { event: 'error', data: { code, message, fix } } with the catalogue's fix", () => {
    expect(JSON.parse(eventErrorMessage('WSG_MESSAGE_MALFORMED', 'not JSON'))).toEqual({
      event: ERROR_EVENT,
      data: {
        code: 'WSG_MESSAGE_MALFORMED',
        message: 'not JSON',
        fix: catalogue.WSG_MESSAGE_MALFORMED.fix,
      },
    });
  });

  it('adds the failed event as pattern and the details only when given', () => {
    const { data } = JSON.parse(
      eventErrorMessage('WSG_POLICY_VIOLATION', 'no', { pattern: 'join', details: { left: 0 } }),
    );
    expect(data).toMatchObject({ pattern: 'join', details: { left: 0 } });
    const bare = JSON.parse(eventErrorMessage('WSG_EVENT_UNHANDLED', 'no', {})).data;
    expect(Object.keys(bare)).toEqual(['code', 'message', 'fix']);
  });

  it('closes after an error only where closeOnError says so, per kind of error', () => {
    expect(closesOnError(undefined, 'WSG_INTERNAL_ERROR')).toBe(false);
    expect(closesOnError(true, 'WSG_EVENT_UNHANDLED')).toBe(true);
    expect(closesOnError(false, 'WSG_INTERNAL_ERROR')).toBe(false);
    const some = { internal: true, malformed: true };
    expect(closesOnError(some, 'WSG_INTERNAL_ERROR')).toBe(true);
    expect(closesOnError(some, 'WSG_MESSAGE_MALFORMED')).toBe(true);
    expect(closesOnError(some, 'WSG_POLICY_VIOLATION')).toBe(false);
    expect(closesOnError({ exception: true }, 'WSG_POLICY_VIOLATION')).toBe(true);
    expect(closesOnError({ unhandledEvent: true }, 'WSG_EVENT_UNHANDLED')).toBe(true);
  });
});
