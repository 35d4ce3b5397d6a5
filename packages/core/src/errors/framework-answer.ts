import type { HandshakeCode, HandshakeCodeWithStatus } from './catalogue.js';
import { type ErrorRefusal, handshakeErrorRefusal, readHttpError } from './http-error.js';
import { statusText } from './http-refusal.js';

/**
 * What a framework's answer to an upgrade request means, whichever adapter carries it: an error
 * passed to next() (Express), thrown (Koa's ctx.throw) or raised by a handshake guard (Nest's
 * HttpException), or a response a middleware wrote itself. The status the framework chose is
 * kept, its headers (Retry-After, WWW-Authenticate, Allow) reach the client; this names the code
 * that goes with it in X-WSGate-Error, the body, the log and the refusal journal.
 *
 * | status                    | code                    |
 * | ------------------------- | ----------------------- |
 * | 2xx, 3xx (answered itself)| WSG_UPGRADE_NOT_HANDLED |
 * | 401                       | WSG_AUTH_REQUIRED       |
 * | 403                       | WSG_FORBIDDEN           |
 * | 404                       | WSG_PATH_NOT_FOUND      |
 * | 405                       | WSG_METHOD_NOT_ALLOWED  |
 * | 408                       | WSG_REQUEST_TIMEOUT     |
 * | 413                       | WSG_REQUEST_TOO_LARGE   |
 * | 426                       | WSG_NOT_WEBSOCKET       |
 * | 429                       | WSG_RATE_LIMITED        |
 * | 431                       | WSG_HEADERS_TOO_LARGE   |
 * | 500                       | WSG_HOOK_FAILED         |
 * | 503                       | WSG_SERVER_UNAVAILABLE  |
 * | any other 4xx             | WSG_REQUEST_REFUSED     |
 * | any other 5xx, no status  | WSG_HOOK_FAILED         |
 */
type PolicyStatus = 401 | 403 | 404 | 405 | 408 | 413 | 426 | 429 | 431 | 500 | 503;

/** Each code's own catalogue status is its key: the type holds the table to the catalogue. */
const codeByStatus: { readonly [Status in PolicyStatus]: HandshakeCodeWithStatus<Status> } = {
  401: 'WSG_AUTH_REQUIRED',
  403: 'WSG_FORBIDDEN',
  404: 'WSG_PATH_NOT_FOUND',
  405: 'WSG_METHOD_NOT_ALLOWED',
  408: 'WSG_REQUEST_TIMEOUT',
  413: 'WSG_REQUEST_TOO_LARGE',
  426: 'WSG_NOT_WEBSOCKET',
  429: 'WSG_RATE_LIMITED',
  431: 'WSG_HEADERS_TOO_LARGE',
  500: 'WSG_HOOK_FAILED',
  503: 'WSG_SERVER_UNAVAILABLE',
};

/** The statuses the policy names one by one, for tests and documentation. */
export const frameworkAnswerStatuses = Object.keys(codeByStatus).map(Number);

function isPolicyStatus(status: number): status is PolicyStatus {
  return Object.hasOwn(codeByStatus, status);
}

/** The code of a framework's answer with `status` to an upgrade request (see the table above). */
export function codeForFrameworkStatus(status: number): HandshakeCode {
  if (isPolicyStatus(status)) return codeByStatus[status];
  if (status >= 200 && status < 400) return 'WSG_UPGRADE_NOT_HANDLED';
  if (status >= 400 && status < 500) return 'WSG_REQUEST_REFUSED';
  return 'WSG_HOOK_FAILED';
}

/** What an application's error during the handshake becomes. */
export interface FrameworkErrorAnswer {
  readonly refusal: ErrorRefusal;
  /**
   * The application failed (no HTTP status, or a server error other than 503): the error goes
   * to the server's log with its stack, and nothing of it to the client.
   */
  readonly failure: boolean;
}

/**
 * The answer to an error a middleware, hook or guard raised on an upgrade request: a thrown
 * handshake WsgateError keeps its code; an HTTP error (`status`, `statusCode` or `getStatus()`
 * from 400 to 599) gets the policy's code with its status and headers, and its message as the
 * detail when it is meant for the client (a 4xx the error exposes, other than the bare reason
 * phrase); anything else is a failure, 500 WSG_HOOK_FAILED.
 */
export function answerForFrameworkError(
  error: unknown,
  headers: Readonly<Record<string, string>> = {},
): FrameworkErrorAnswer {
  const named = handshakeErrorRefusal(error);
  if (named !== undefined)
    return { refusal: { ...named, headers: { ...headers, ...named.headers } }, failure: false };
  const fields = readHttpError(error);
  const status = fields.status;
  if (status === undefined || status < 400 || status > 599)
    return { refusal: { code: 'WSG_HOOK_FAILED', headers: {} }, failure: true };
  const code = codeForFrameworkStatus(status);
  const message = fields.message?.trim();
  const detail =
    status < 500 &&
    fields.expose &&
    message !== undefined &&
    message !== '' &&
    message.toLowerCase() !== statusText[status]?.toLowerCase()
      ? message
      : undefined;
  return {
    refusal: { code, status, detail, headers: { ...headers, ...fields.headers } },
    failure: code === 'WSG_HOOK_FAILED',
  };
}
