import { catalogue, type ErrorCode, type MessageData } from '@wsgate/core';
import type { CloseOnError, ParsedMessage } from './options.js';

/** The event of the error message sent to a client: `{ event: 'error', data: WsgateErrorData }`. */
export const ERROR_EVENT = 'error';

/** What the client receives when the adapter or a handler refuses one of its messages. */
export interface WsgateErrorData {
  readonly code: ErrorCode;
  /** What happened to this message; for a WsException, its message. */
  readonly message: string;
  /** The catalogue's advice for this code. */
  readonly fix: string;
  /** The event of the message that failed, when known. */
  readonly pattern?: string;
  /** A WsException's error object, as the application gave it. */
  readonly details?: unknown;
}

/** What BaseWsExceptionFilter sends for an error that is not a WsException (Nest's MESSAGES). */
const NEST_UNKNOWN_ERROR = 'Internal server error';

const closeFlag: Readonly<Partial<Record<ErrorCode, keyof CloseOnError>>> = {
  WSG_POLICY_VIOLATION: 'exception',
  WSG_INTERNAL_ERROR: 'internal',
  WSG_MESSAGE_MALFORMED: 'malformed',
  WSG_EVENT_UNHANDLED: 'unhandledEvent',
};

export function closesOn(setting: boolean | CloseOnError | undefined, code: ErrorCode): boolean {
  if (typeof setting === 'boolean') return setting;
  const flag = closeFlag[code];
  return flag !== undefined && setting?.[flag] === true;
}

export function errorMessage(
  code: ErrorCode,
  message: string,
  extra: { readonly pattern?: string | undefined; readonly details?: unknown } = {},
): string {
  const data: WsgateErrorData = {
    code,
    message,
    fix: catalogue[code].fix,
    ...(extra.pattern === undefined ? {} : { pattern: extra.pattern }),
    ...(extra.details === undefined ? {} : { details: extra.details }),
  };
  return JSON.stringify({ event: ERROR_EVENT, data });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The parser Nest's WsAdapter uses, with a precise reason when a message does not fit. */
export function parseJsonMessage(data: MessageData): ParsedMessage {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`the message is not JSON (${(error as Error).message.slice(0, 120)})`);
  }
  if (!isRecord(parsed)) throw new Error('the message is JSON but not an object');
  if (typeof parsed.event !== 'string' || parsed.event === '')
    throw new Error('the message has no "event" string');
  return { event: parsed.event, data: parsed.data };
}

/**
 * Reads what an exception filter emitted as `exception`. Nest's BaseWsExceptionFilter sends
 * `{ status: 'error', message: 'Internal server error' }` for anything but a WsException (it logs
 * the error itself); every other payload is a WsException's (or a custom filter's).
 */
export function fromExceptionPayload(payload: unknown): {
  code: ErrorCode;
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
