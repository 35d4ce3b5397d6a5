import type { ErrorCode } from '@wsgate/core';
import { handshakeCodesWithStatus } from '@wsgate/core/adapter';
import type { HttpResponseHead } from '@wsgate/core/protocol';
import { diagnose, serverDetailOf } from '../diagnosis.js';
import type { Diagnosis } from '../types.js';
import { type RequestContext, sentHeader } from './request-context.js';
import { headerOfCode, headersMentioned, saysPlainToTls, viaProxy } from './response-signs.js';

/** What a 4xx or 5xx answer is read with. */
interface RefusalContext {
  readonly status: number;
  readonly head: HttpResponseHead;
  readonly body: string;
  readonly request: RequestContext;
  readonly statusLine: string;
  readonly serverCode: ErrorCode | undefined;
  /** What a wsgate server said about it, as a cause, if it said anything. */
  readonly saysList: readonly string[];
  readonly retryAfter: string | undefined;
  /** " (Via: ...)" when the answer came through a proxy that shows itself. */
  readonly proxyNote: string;
  readonly headerHint: string;
  /** The diagnosis, with the server's own fix (if it named a code) after these. */
  readonly refused: (summary: string, causes: string[], fix: string[]) => Diagnosis;
}

const HEADER_HINT =
  "Retry with the credentials or headers the application expects: --header 'Name: value' (repeatable)";

function badRequest({
  serverCode,
  saysList,
  refused,
  body,
  request,
  statusLine,
}: RefusalContext): Diagnosis {
  if (saysPlainToTls(body)) {
    return refused(
      `${statusLine}: this port expects TLS; the doctor spoke plain HTTP (ws://).`,
      ['The server answered that a plain HTTP request reached its HTTPS port.'],
      [`Use wss:// on this port: wsgate doctor ${request.url.replace(/^ws:/, 'wss:')}`],
    );
  }
  const named = serverCode === undefined ? undefined : headerOfCode(serverCode);
  const mentioned = named === undefined ? headersMentioned(body) : [named];
  const which =
    mentioned.length > 0
      ? `the server objected to ${mentioned.join(', ')}`
      : 'the server did not say which header it objected to';
  // wsgate's detail for WSG_SUBPROTOCOL_REQUIRED: "offered: none; supported: chat.v2, chat.v1".
  const supported = /supported: ([^;\n]+)/
    .exec(serverDetailOf(body) ?? '')?.[1]
    ?.replace(/\s+/g, '');
  const sent = mentioned.filter((name) => sentHeader(request, name) && !name.startsWith('the '));
  const unsent = mentioned.filter((name) => !sentHeader(request, name));
  const headerCauses = [
    ...(mentioned.some((name) => name.startsWith('the request head'))
      ? [
          "The doctor's request head is valid HTTP/1.1 and small (see it with --verbose): a proxy between changed it or added to it.",
        ]
      : []),
    ...(unsent.length > 0
      ? [
          `The doctor sent no ${unsent.join(', ')}: this endpoint requires ${unsent.length === 1 ? 'it' : 'them'}.`,
        ]
      : []),
    ...(sent.length > 0
      ? [
          `The doctor sent a valid ${sent.join(', ')} (see the request with --verbose): a proxy between may have changed or removed it, or the server expects another value there.`,
        ]
      : []),
  ];
  return refused(
    `${statusLine}: ${which}${serverCode === undefined ? '' : ` (${serverCode})`}.`,
    [
      ...saysList,
      ...(mentioned.length > 0
        ? headerCauses
        : [
            `The path ${request.resource} may not be a WebSocket route of this server: some servers answer 400 rather than 404 for a path they do not serve (the ws library does, with its path option).`,
            'A proxy between changed or removed a handshake header; the body (above), if any, may say which.',
          ]),
      ...(serverCode === 'WSG_SUBPROTOCOL_REQUIRED'
        ? ['The endpoint requires a subprotocol: offer one with --protocol NAME.']
        : []),
    ],
    serverCode === 'WSG_SUBPROTOCOL_REQUIRED'
      ? [
          supported === undefined
            ? 'Offer the subprotocol the server expects: --protocol NAME (comma-separated for several).'
            : `Offer a subprotocol the server supports: --protocol ${supported}`,
        ]
      : mentioned.length > 0
        ? [
            `Compare the ${mentioned.join(', ')} that reached the server with what the doctor sent (--verbose); fix the proxy that changes ${mentioned.length === 1 ? 'it' : 'them'}.`,
          ]
        : [
            "Check the path against the server's WebSocket routes (and any prefix a proxy adds).",
            'Compare the request the doctor sent (--verbose) with what the server expects.',
          ],
  );
}

function unauthorized({
  serverCode,
  saysList,
  headerHint,
  refused,
  head,
  request,
  statusLine,
}: RefusalContext): Diagnosis {
  const scheme = head.headers['www-authenticate'];
  // No challenge and no Origin sent: an Origin check that answers 401 fits as well as credentials.
  const originMayMatter =
    scheme === undefined && serverCode === undefined && request.origin === undefined;
  return refused(
    `${statusLine}: the endpoint requires authentication${scheme ? ` (WWW-Authenticate: ${scheme})` : ''}.`,
    [
      ...saysList,
      'No credentials were sent, or they were refused: the endpoint expects a cookie, a token in the query string, or an Authorization header.',
      ...(originMayMatter
        ? [
            "The server may check the Origin header and the doctor sent none: some servers refuse a failed check with 401 (the ws library's verifyClient does by default).",
          ]
        : []),
    ],
    [
      `${headerHint}, e.g. --header 'Authorization: Bearer <token>' or --header 'Cookie: session=<value>'.`,
      'Or put the token in the URL query if the application reads it there (…?token=…).',
      ...(originMayMatter
        ? [
            'Retry with the origin of the page that opens this WebSocket: --origin https://your.site',
          ]
        : []),
    ],
  );
}

function forbidden({
  serverCode,
  saysList,
  headerHint,
  refused,
  request,
  statusLine,
}: RefusalContext): Diagnosis {
  const originFirst =
    serverCode === 'WSG_ORIGIN_REFUSED' ||
    (serverCode === undefined && request.origin === undefined);
  const originCause =
    request.origin === undefined
      ? "The server checks the Origin header and the doctor sent none (browsers always send the page's origin)."
      : `The Origin ${request.origin} is not on the server's allow-list (scheme, host and port must match exactly).`;
  const authCause =
    'An authentication or access rule refused the request (a missing cookie or token, an IP rule, an application guard).';
  return refused(
    `${statusLine}: the server refused the handshake${serverCode === undefined ? '' : ` (${serverCode})`}.`,
    [...saysList, ...(originFirst ? [originCause, authCause] : [authCause, originCause])],
    [
      request.origin === undefined
        ? 'Retry with the origin of the page that opens this WebSocket: --origin https://your.site'
        : 'Retry with an origin the server allows: --origin https://allowed.site',
      `${headerHint}, e.g. --header 'Cookie: session=<value>'.`,
    ],
  );
}

function methodNotAllowed({ saysList, refused, head, statusLine }: RefusalContext): Diagnosis {
  const allow = head.headers.allow;
  return refused(
    `${statusLine}: the server does not accept GET here${allow ? ` (Allow: ${allow})` : ''}.`,
    [
      ...saysList,
      'The doctor sent GET, as RFC 6455 §4.1 requires: this path is not a WebSocket route (an API that takes POST, a form handler).',
      'A proxy rewrote the method.',
    ],
    ['Connect to the WebSocket route of the server.'],
  );
}

function atLimit({
  status,
  serverCode,
  saysList,
  retryAfter,
  refused,
  statusLine,
}: RefusalContext): Diagnosis {
  // The server names the limit it is at: any of the catalogue's codes for this status.
  const limitCodes: readonly ErrorCode[] = handshakeCodesWithStatus(status);
  return refused(
    `${statusLine}: the server is at a limit or unavailable${retryAfter ? `; Retry-After: ${retryAfter}` : ''}.`,
    [
      ...saysList,
      ...(serverCode !== undefined && limitCodes.includes(serverCode)
        ? []
        : [
            status === 429
              ? 'A rate limit refused this client: too many connections or requests from this address.'
              : 'The server or a proxy in front has no capacity: too many connections, a restart, or no healthy upstream.',
          ]),
    ],
    [
      retryAfter
        ? `Retry after ${retryAfter}${/^\d+$/.test(retryAfter) ? ' seconds' : ''}, with backoff.`
        : 'Retry later, with backoff.',
      "If it persists, raise the limit (maxConnections, maxConnectionsPerAddress, the proxy's rate limit) or add capacity.",
    ],
  );
}

function serverError({ saysList, refused, statusLine }: RefusalContext): Diagnosis {
  return refused(
    `${statusLine}: the server failed while handling the handshake.`,
    [
      ...saysList,
      'An application hook or the framework threw during the handshake; the server log has the error.',
    ],
    ['Look at the server log at the time of this request.'],
  );
}

function badGateway({ saysList, proxyNote, refused, statusLine }: RefusalContext): Diagnosis {
  return refused(
    `${statusLine}: a proxy could not get a valid answer from the server behind it${proxyNote}.`,
    [
      ...saysList,
      'The WebSocket server behind the proxy is down, or listens on another port than the proxy forwards to.',
      'The upstream answered something the proxy could not use (it does not speak HTTP/1.1, or it closed the connection).',
    ],
    [
      "Check that the upstream runs and that the proxy forwards to the right host and port; read the proxy's error log.",
    ],
  );
}

function gatewayTimeout({ saysList, proxyNote, refused, statusLine }: RefusalContext): Diagnosis {
  return refused(
    `${statusLine}: a proxy timed out waiting for the server behind it${proxyNote}.`,
    [
      ...saysList,
      'The upstream is slow to accept connections or to answer the handshake, or unreachable from the proxy.',
      "The proxy's connect or read timeout is shorter than the upstream needs.",
    ],
    [
      "Check the upstream's health and the proxy's timeouts (nginx: proxy_connect_timeout, proxy_read_timeout).",
    ],
  );
}

/** Per status: what the answer usually means here, and what to do. */
const adviceByStatus: Readonly<Record<number, (context: RefusalContext) => Diagnosis>> = {
  400: badRequest,
  401: unauthorized,
  403: forbidden,
  405: methodNotAllowed,
  429: atLimit,
  503: atLimit,
  500: serverError,
  502: badGateway,
  504: gatewayTimeout,
};

/** The diagnosis for a 4xx or 5xx answer, by status: what each usually means, and what to do. */
export function diagnoseErrorStatus(
  head: HttpResponseHead,
  body: string,
  request: RequestContext,
  statusLine: string,
  says: string | undefined,
  serverFix: readonly string[],
  base: { observed: string[]; serverCode: ErrorCode | undefined },
): Diagnosis {
  const proxy = viaProxy(head);
  const context: RefusalContext = {
    status: head.status,
    head,
    body,
    request,
    statusLine,
    serverCode: base.serverCode,
    saysList: says === undefined ? [] : [says],
    retryAfter: head.headers['retry-after'],
    proxyNote: proxy === undefined ? '' : ` (${proxy})`,
    headerHint: HEADER_HINT,
    refused: (summary, causes, fix) =>
      diagnose('upgrade', 'WSG_RESPONSE_REFUSED', {
        ...base,
        summary,
        causes,
        fix: [...fix, ...serverFix],
      }),
  };
  return (adviceByStatus[head.status] ?? otherStatus)(context);
}

function otherStatus({
  status,
  serverCode,
  saysList,
  refused,
  statusLine,
}: RefusalContext): Diagnosis {
  return refused(
    `${statusLine}: the server refused the handshake${serverCode === undefined ? '' : ` (${serverCode})`}.`,
    [
      ...saysList,
      status >= 500
        ? 'A server or proxy error.'
        : 'The server refused this request; its body (above) may say why.',
    ],
    [],
  );
}
