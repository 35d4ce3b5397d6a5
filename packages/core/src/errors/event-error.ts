import { catalogue, type ErrorCode } from './catalogue.js';

/** The event of the error message an event endpoint sends: `{ event: 'error', data: EventErrorData }`. */
export const ERROR_EVENT = 'error';

/** What a peer receives when one of its messages is refused or failed. */
export interface EventErrorData {
  readonly code: ErrorCode;
  /** What happened to this message. */
  readonly message: string;
  /** The catalogue's advice for this code. */
  readonly fix: string;
  /** The event of the message that failed, when known. */
  readonly pattern?: string;
  /** Details the application gave with the error (e.g. an exception's error object). */
  readonly details?: unknown;
}

export interface EventErrorExtra {
  readonly pattern?: string | undefined;
  readonly details?: unknown;
}

/** The text of the error message for `code`, with the catalogue's fix. */
export function eventErrorMessage(
  code: ErrorCode,
  message: string,
  extra: EventErrorExtra = {},
): string {
  const data: EventErrorData = {
    code,
    message,
    fix: catalogue[code].fix,
    ...(extra.pattern === undefined ? {} : { pattern: extra.pattern }),
    ...(extra.details === undefined ? {} : { details: extra.details }),
  };
  return JSON.stringify({ event: ERROR_EVENT, data });
}

/**
 * Which message errors also close the connection, after the error message (with the code's
 * close code and reason: 1008, or 1011 for `internal`). None by default.
 */
export interface CloseOnError {
  /** The application refused the message (an exception meant for the peer): WSG_POLICY_VIOLATION. */
  readonly exception?: boolean;
  /** An unhandled error in a handler: WSG_INTERNAL_ERROR. */
  readonly internal?: boolean;
  /** A message the parser cannot read: WSG_MESSAGE_MALFORMED. */
  readonly malformed?: boolean;
  /** An event no handler subscribes to: WSG_EVENT_UNHANDLED. */
  readonly unhandledEvent?: boolean;
}

const closeFlag: Readonly<Partial<Record<ErrorCode, keyof CloseOnError>>> = {
  WSG_POLICY_VIOLATION: 'exception',
  WSG_INTERNAL_ERROR: 'internal',
  WSG_MESSAGE_MALFORMED: 'malformed',
  WSG_EVENT_UNHANDLED: 'unhandledEvent',
};

/** Whether the error message for `code` is followed by a close, under `setting`. */
export function closesOnError(
  setting: boolean | CloseOnError | undefined,
  code: ErrorCode,
): boolean {
  if (typeof setting === 'boolean') return setting;
  const flag = closeFlag[code];
  return flag !== undefined && setting?.[flag] === true;
}
