import { type ClosingCode, catalogue } from '@wsgate/core';

// The event protocol and its error messages are core's (EventSocket); these are their names here.
export type { EventErrorData as WsgateErrorData } from '@wsgate/core/adapter';
export { ERROR_EVENT, parseEventMessage as parseJsonMessage } from '@wsgate/core/adapter';

/** What BaseWsExceptionFilter sends for an error that is not a WsException (Nest's MESSAGES). */
const NEST_UNKNOWN_ERROR = 'Internal server error';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads what an exception filter emitted as `exception`. Nest's BaseWsExceptionFilter sends
 * `{ status: 'error', message: 'Internal server error' }` for anything but a WsException (it logs
 * the error itself); every other payload is a WsException's (or a custom filter's).
 */
export function fromExceptionPayload(payload: unknown): {
  code: ClosingCode;
  message: string;
  pattern: string | undefined;
  details: unknown;
} {
  const record = isRecord(payload) ? payload : undefined;
  const message =
    typeof payload === 'string'
      ? payload
      : typeof record?.message === 'string'
        ? record.message
        : undefined;
  const cause = record?.cause;
  const pattern = isRecord(cause) && typeof cause.pattern === 'string' ? cause.pattern : undefined;
  const nestShape = record?.status === 'error' && Object.hasOwn(record, 'message');
  if (nestShape && message === NEST_UNKNOWN_ERROR) {
    return { code: 'WSG_INTERNAL_ERROR', message, pattern, details: undefined };
  }
  return {
    code: 'WSG_POLICY_VIOLATION',
    message: message ?? catalogue.WSG_POLICY_VIOLATION.title,
    pattern,
    // A WsException built from an object reaches the filter as that object: keep it whole.
    details: record !== undefined && !nestShape ? record : undefined,
  };
}

/** Whether `value`'s class, or one it extends, is named `name` (Nest's copy is the app's, not ours). */
function isInstanceOfNamed(value: unknown, name: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (
    let prototype = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
    prototype !== null;
    prototype = Object.getPrototypeOf(prototype) as typeof prototype
  ) {
    if (prototype.constructor?.name === name) return true;
  }
  return false;
}

/**
 * What Nest's BaseWsExceptionFilter (default options) emits as `exception` for an error of a
 * handler called directly, and whether it also logs it: a WsException's error object as it is,
 * its message as `{ status, message, cause: { pattern, data } }`; anything else as
 * `Internal server error`, logged unless it is an IntrinsicException.
 */
export function nestExceptionPayload(
  exception: unknown,
  pattern: string,
  data: unknown,
): { readonly payload: unknown; readonly log: boolean } {
  const cause = { pattern, data };
  if (isInstanceOfNamed(exception, 'WsException')) {
    const error = (exception as { getError(): unknown }).getError();
    if (typeof error === 'object' && error !== null) return { payload: error, log: false };
    return { payload: { status: 'error', message: error, cause }, log: false };
  }
  return {
    payload: { status: 'error', message: NEST_UNKNOWN_ERROR, cause },
    log: !isInstanceOfNamed(exception, 'IntrinsicException'),
  };
}
