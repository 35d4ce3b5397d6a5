import { type ErrorCode, isErrorCode } from './catalogue.js';

/** The refusal an application's error stands for, for `buildRefusal` or `UpgradeExchange.refuse`. */
export interface ErrorRefusal {
  readonly code: ErrorCode;
  /** Set when the answer keeps a status other than the code's own (a 429 under WSG_FORBIDDEN). */
  readonly status?: number | undefined;
  /** What the client may read of the error. */
  readonly detail?: string | undefined;
  readonly headers: Record<string, string>;
}

/**
 * What an HTTP error object says: http-errors' shape (Express's `next(err)`, Koa's `ctx.throw`)
 * or an exception with `getStatus()` (Nest's HttpException).
 */
export interface HttpErrorFields {
  /** `status`, else `statusCode`, else `getStatus()`, when an integer. */
  readonly status: number | undefined;
  readonly message: string | undefined;
  /** http-errors' mark of a message meant for the client (`expose: true`, set for 4xx). */
  readonly expose: boolean;
  /** The error's `headers` as strings (a list joined), without Content-Type and Content-Length. */
  readonly headers: Record<string, string>;
}

/** Header names written the usual way when an application wrote them in any case. */
const CANONICAL_NAMES: Readonly<Record<string, string>> = {
  'www-authenticate': 'WWW-Authenticate',
  'retry-after': 'Retry-After',
};

function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

export function readHttpError(error: unknown): HttpErrorFields {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    status?: unknown;
    statusCode?: unknown;
    getStatus?: unknown;
    message?: unknown;
    expose?: unknown;
    headers?: unknown;
  };
  const status =
    integer(fields.status) ??
    integer(fields.statusCode) ??
    (typeof fields.getStatus === 'function' ? integer(fields.getStatus()) : undefined);
  const headers: Record<string, string> = {};
  if (typeof fields.headers === 'object' && fields.headers !== null) {
    for (const [name, value] of Object.entries(fields.headers)) {
      const lower = name.toLowerCase();
      if (value === undefined || lower === 'content-type' || lower === 'content-length') continue;
      headers[CANONICAL_NAMES[lower] ?? name] = Array.isArray(value)
        ? value.join(', ')
        : String(value);
    }
  }
  return {
    status,
    message: typeof fields.message === 'string' ? fields.message : undefined,
    expose: fields.expose === true,
    headers,
  };
}

/**
 * The refusal of a thrown WsgateError of kind `handshake` (a refusal, not a failure), matched by
 * shape: an application's CommonJS copy of core has another class. Undefined for anything else.
 */
export function handshakeErrorRefusal(error: unknown): ErrorRefusal | undefined {
  const fault = error as { code?: unknown; kind?: unknown; detail?: unknown } | null;
  if (!isErrorCode(fault?.code) || fault?.kind !== 'handshake') return undefined;
  return {
    code: fault.code,
    ...(typeof fault.detail === 'string' ? { detail: fault.detail } : {}),
    headers: {},
  };
}

/**
 * The refusal for a client error status an application chose: 401 WSG_AUTH_REQUIRED, 404
 * WSG_PATH_NOT_FOUND, any other 4xx WSG_FORBIDDEN keeping its status (a rate limiter's 429, a
 * validator's 400). Undefined for any other status, which is no answer for the client to see.
 */
export function refusalForClientError(
  status: number,
  detail?: string,
  headers: Record<string, string> = {},
): ErrorRefusal | undefined {
  if (!Number.isInteger(status) || status < 400 || status > 499) return undefined;
  const code: ErrorCode =
    status === 401 ? 'WSG_AUTH_REQUIRED' : status === 404 ? 'WSG_PATH_NOT_FOUND' : 'WSG_FORBIDDEN';
  return {
    code,
    ...(status === 401 || status === 403 || status === 404 ? {} : { status }),
    ...(detail === undefined ? {} : { detail }),
    headers,
  };
}
