import { invalidFieldReason, isFieldValue } from '../protocol/http-field.js';
import { catalogue, type HandshakeCode } from './catalogue.js';

/** Reason phrases for the statuses wsgate answers with (RFC 9110 §15). */
export const statusText: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

export interface RefusalOptions {
  /** What exactly was wrong with this request (safe to show; no secrets). */
  readonly detail?: string;
  /** The request's Accept header: JSON is answered when it asks for application/json. */
  readonly accept?: string | undefined;
  /** Extra headers, e.g. `WWW-Authenticate` supplied by the application. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The status an application chose, kept instead of the catalogue's (see framework-answer.ts). */
  readonly status?: number;
}

export interface HttpRefusal {
  readonly code: HandshakeCode;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** What exactly was wrong, as in the body: for the log event of the refusal. */
  readonly detail?: string;
}

export function wantsJson(accept: string | undefined): boolean {
  return accept !== undefined && /\bapplication\/(?:[\w.+-]+\+)?json\b/i.test(accept);
}

/** Headers `buildRefusal` sets itself, in lower case. */
const OWN_HEADERS = new Set([
  'x-wsgate-error',
  'content-type',
  'x-content-type-options',
  'cache-control',
]);

/** Message framing headers that only `serializeRefusal` writes (RFC 9112 §6: one framing). */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * Builds the HTTP answer for a refused handshake from its catalogue entry. Headers from the
 * application that cannot be written (RFC 9110 §5.1, §5.5: a line break in a value would add
 * header lines of its own) turn the answer into 500 WSG_RESPONSE_HEADER_INVALID, as Node's
 * `setHeader` would throw: check `code` of the result, which is what to log.
 */
export function buildRefusal(code: HandshakeCode, options: RefusalOptions = {}): HttpRefusal {
  const fault = options.headers === undefined ? undefined : invalidFieldReason(options.headers);
  if (fault !== undefined) {
    return buildRefusal('WSG_RESPONSE_HEADER_INVALID', {
      detail: `${fault}, in the headers of a ${code} refusal`,
      accept: options.accept,
    });
  }
  const entry = catalogue[code];
  let status = options.status ?? entry.status;
  // Field names are case-insensitive (RFC 9110 §5.1): compare the application's headers in lower case.
  const extraHeaders = Object.entries(options.headers ?? {});
  const hasChallenge = extraHeaders.some(([name]) => name.toLowerCase() === 'www-authenticate');
  // RFC 9110 §15.5.2: a 401 must name an authentication scheme; without one the answer is 403.
  if (status === 401 && !hasChallenge) status = 403;
  const text = statusText[status] ?? 'Error';
  const json = wantsJson(options.accept);
  const body = json
    ? `${JSON.stringify({
        error: {
          code,
          status,
          title: entry.title,
          ...(options.detail ? { detail: options.detail } : {}),
          cause: entry.cause,
          fix: entry.fix,
        },
      })}\n`
    : `${status} ${text}: ${code}\n${entry.title}.${options.detail ? `\n${options.detail}` : ''}\nCause: ${entry.cause}\nFix: ${entry.fix}\n`;
  return {
    code,
    status,
    statusText: text,
    headers: {
      ...entry.headers,
      // The headers set below win, whatever case the application wrote their names in.
      ...Object.fromEntries(extraHeaders.filter(([name]) => !OWN_HEADERS.has(name.toLowerCase()))),
      'X-WSGate-Error': code,
      'Content-Type': json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
      // The body may quote request values (a header in the detail): never sniffed as HTML.
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    },
    body,
    ...(options.detail ? { detail: options.detail } : {}),
  };
}

/**
 * Serializes a refusal as the bytes of an HTTP/1.1 response, ready for a raw socket. A refusal
 * put together by hand with a header or reason phrase that cannot be written is serialized as
 * 500 WSG_RESPONSE_HEADER_INVALID instead: no value ever adds a line to the answer.
 */
export function serializeRefusal(refusal: HttpRefusal): string {
  const fault = !isFieldValue(refusal.statusText)
    ? 'the reason phrase has a line break or another control character'
    : invalidFieldReason(refusal.headers);
  if (fault !== undefined) {
    return serializeRefusal(
      buildRefusal('WSG_RESPONSE_HEADER_INVALID', {
        detail: `${fault}, in a ${refusal.code} refusal`,
      }),
    );
  }
  const bodyBytes = new TextEncoder().encode(refusal.body).length;
  let head = `HTTP/1.1 ${refusal.status} ${refusal.statusText}\r\n`;
  // RFC 9110 §8.6: one Content-Length, matching the body; a second one from the application
  // (in any case) would make the answer unparseable or, worse, desynchronize the peer.
  const headers: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(refusal.headers).filter(([name]) => !FRAMING_HEADERS.has(name.toLowerCase())),
    ),
    'Content-Length': String(bodyBytes),
  };
  // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to; the socket is closed after any refusal.
  headers.Connection = refusal.headers.Upgrade === undefined ? 'close' : 'Upgrade, close';
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return `${head}\r\n${refusal.body}`;
}
