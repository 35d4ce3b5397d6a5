import { type HandshakeCode, isHandshakeCode } from './catalogue.js';

/** The refusal an application's error stands for, for `buildRefusal` or `UpgradeExchange.refuse`. */
export interface ErrorRefusal {
  readonly code: HandshakeCode;
  /** The status the application chose, when it differs or may differ from the code's own. */
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
  /**
   * Whether the message is meant for the client: http-errors' `expose` (set for 4xx), or a 4xx
   * exception with `getStatus()` (Nest sends an HttpException's message to the client).
   */
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
  const isException = typeof fields.getStatus === 'function';
  const status =
    integer(fields.status) ??
    integer(fields.statusCode) ??
    (isException ? integer((fields.getStatus as () => unknown)()) : undefined);
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
    expose:
      fields.expose === true ||
      (fields.expose === undefined && isException && status !== undefined && status < 500),
    headers,
  };
}

/**
 * The refusal of a thrown WsgateError of kind `handshake` (a refusal, not a failure), matched by
 * shape: an application's CommonJS copy of core has another class. Undefined for anything else.
 */
export function handshakeErrorRefusal(error: unknown): ErrorRefusal | undefined {
  const fault = error as { code?: unknown; kind?: unknown; detail?: unknown } | null;
  if (!isHandshakeCode(fault?.code) || fault?.kind !== 'handshake') return undefined;
  return {
    code: fault.code,
    ...(typeof fault.detail === 'string' ? { detail: fault.detail } : {}),
    headers: {},
  };
}
