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
}

export function wantsJson(accept: string | undefined): boolean {
  return accept !== undefined && /\bapplication\/(?:[\w.+-]+\+)?json\b/i.test(accept);
}

/** Headers `buildRefusal` sets itself, in lower case. */
const OWN_HEADERS = new Set(['x-wsgate-error', 'content-type', 'cache-control']);

/** Message framing headers that only `serializeRefusal` writes (RFC 9112 §6: one framing). */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);

/** Builds the HTTP answer for a refused handshake from its catalogue entry. */
export function buildRefusal(code: HandshakeCode, options: RefusalOptions = {}): HttpRefusal {
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
      'Cache-Control': 'no-store',
    },
    body,
  };
}

/** Serializes a refusal as the bytes of an HTTP/1.1 response, ready for a raw socket. */
export function serializeRefusal(refusal: HttpRefusal): string {
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
