import { catalogue, type ErrorCode } from '@wsgate/core';
import {
  clientCodeForStatus,
  handshakeCodesWithStatus,
  isHandshakeCode,
  objectionOf,
} from '@wsgate/core/adapter';
import { computeAcceptKey, type HttpResponseHead, headerHasToken } from '@wsgate/core/protocol';
import { describeCode, diagnose, serverCodeOf, serverDetailOf } from './diagnosis.js';
import type { Diagnosis, StepName } from './types.js';

/** What the doctor sent, for explaining what the server made of it. */
export interface RequestContext {
  /** The URL probed (ws:// or wss://). */
  readonly url: string;
  readonly secure: boolean;
  readonly resource: string;
  readonly key: string;
  readonly origin: string | undefined;
  readonly subprotocols: readonly string[];
  readonly extensionsOffer: string | undefined;
  readonly headerNames: readonly string[];
}

/** The status line and headers exactly as received, then the body's first lines. */
export function observedResponse(head: HttpResponseHead, body: string | undefined): string[] {
  const lines = [`HTTP/${head.httpVersion} ${head.status} ${head.statusText}`.trimEnd()];
  for (const [name, value] of head.rawHeaders) lines.push(`${name}: ${value}`);
  if (body !== undefined && body.trim() !== '') {
    const excerpt = body.length > 600 ? `${body.slice(0, 600)}…` : body;
    lines.push(
      '',
      ...excerpt
        .trimEnd()
        .split('\n')
        .map((line) => `| ${line}`),
    );
  }
  return lines;
}

/** Which request header (or part of the request) a wsgate refusal code points at, from the catalogue. */
function headerOfCode(code: ErrorCode): string | undefined {
  return isHandshakeCode(code) ? objectionOf(code) : undefined;
}

const HEADER_NAMES = [
  'Sec-WebSocket-Key',
  'Sec-WebSocket-Version',
  'Sec-WebSocket-Protocol',
  'Sec-WebSocket-Extensions',
  'Upgrade',
  'Connection',
  'Origin',
  'Host',
];

/** Header names a non-wsgate server mentions in its body ("Missing Sec-WebSocket-Key"...). */
function headersMentioned(body: string): string[] {
  return HEADER_NAMES.filter((name) => new RegExp(`\\b${name}\\b`, 'i').test(body));
}

/** A 400 from a TLS server that received plain HTTP (nginx: "The plain HTTP request was sent to HTTPS port"). */
function saysPlainToTls(body: string): boolean {
  return /plain HTTP request was sent to HTTPS port|HTTP request to an HTTPS server|speaks? HTTPS|TLS required/i.test(
    body,
  );
}

function looksLikeHtml(head: HttpResponseHead, body: string): boolean {
  return (
    /text\/html/i.test(head.headers['content-type'] ?? '') || /^\s*<(?:!doctype|html)/i.test(body)
  );
}

function viaProxy(head: HttpResponseHead): string | undefined {
  const via = head.headers.via;
  if (via !== undefined) return `Via: ${via}`;
  const server = head.headers.server;
  if (
    server !== undefined &&
    /nginx|envoy|haproxy|apache|caddy|traefik|cloudflare|varnish|squid/i.test(server)
  )
    return `Server: ${server}`;
  for (const name of ['x-forwarded-for', 'x-cache', 'x-served-by', 'cf-ray', 'x-amz-cf-id']) {
    const value = head.headers[name];
    if (value !== undefined) return `${name}: ${value}`;
  }
  return undefined;
}

/** "ws://" form of a redirect's Location, resolved against the URL probed. */
function websocketLocation(location: string, base: string): string | undefined {
  try {
    const url = new URL(location, base.replace(/^ws/, 'http'));
    if (url.protocol === 'http:') url.protocol = 'ws:';
    else if (url.protocol === 'https:') url.protocol = 'wss:';
    else return undefined;
    return url.toString();
  } catch {
    return undefined;
  }
}

/** A path as servers write them in a list: "/chat", "/api/ws", "/v1/socket.io/". */
const LISTED_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/**
 * The paths a 404 says the server serves, where it says so: strings that are paths in a JSON
 * body's arrays ({"paths": ["/chat"]}), or the paths on a line that introduces them ("Available
 * endpoints: /chat, /echo", "served: /chat"). The path probed is left out.
 */
export function pathsListed(body: string, probed: string): string[] {
  const found = new Set<string>();
  const probedPath = probed.split('?')[0] ?? probed;
  const keep = (candidate: string): void => {
    const path = candidate.replace(/[.,;:)]+$/, '');
    if (LISTED_PATH.test(path) && path !== probedPath) found.add(path);
  };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  if (json !== undefined) {
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) {
        for (const item of value) {
          if (typeof item === 'string') keep(item);
          else visit(item);
        }
      } else if (value !== null && typeof value === 'object') {
        for (const item of Object.values(value)) visit(item);
      }
    };
    visit(json);
    return [...found];
  }
  const text = body.replace(/<[^>]*>/g, ' ');
  for (const line of text.split(/\r?\n/)) {
    const intro =
      /\b(?:paths?|routes?|endpoints?|served|serves|available|supported|valid|try)\b[^:\n]*:(.*)$/i.exec(
        line,
      );
    if (intro === null) continue;
    for (const token of (intro[1] as string).split(/[\s,]+/))
      if (token.startsWith('/')) keep(token);
  }
  return [...found];
}

/** Whether the doctor's request carried this header (a name from `headerOfCode` or `HEADER_NAMES`). */
function sentHeader(request: RequestContext, name: string): boolean {
  switch (name) {
    case 'Sec-WebSocket-Protocol':
      return request.subprotocols.length > 0;
    case 'Sec-WebSocket-Extensions':
      return request.extensionsOffer !== undefined;
    case 'Origin':
      return request.origin !== undefined;
    default:
      return (
        // "the request head (its syntax)": always sent.
        name.startsWith('the ') ||
        [
          'Host',
          'Upgrade',
          'Connection',
          'Sec-WebSocket-Key',
          'Sec-WebSocket-Version',
          ...request.headerNames,
        ].some((sentName) => sentName.toLowerCase() === name.toLowerCase())
      );
  }
}

const NGINX_FIX =
  'Behind nginx, in the location that proxies WebSockets: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";';

/** The diagnosis for an answer that is not 101 Switching Protocols. */
export function diagnoseRefusal(
  head: HttpResponseHead,
  body: string,
  request: RequestContext,
  elapsedMs: number,
): { step: StepName; diagnosis: Diagnosis } {
  const status = head.status;
  const statusLine = `HTTP/${head.httpVersion} ${status} ${head.statusText}`.trimEnd();
  const serverCode = serverCodeOf(head.headers, body);
  const serverDetail = serverDetailOf(body);
  const observed = [
    ...observedResponse(head, body),
    '',
    `(answered ${elapsedMs} ms after the request was sent)`,
  ];
  const says =
    serverCode === undefined
      ? undefined
      : `The server names ${describeCode(serverCode)}${serverDetail ? ` — ${serverDetail}` : ''}.`;
  const serverFix = serverCode === undefined ? [] : [catalogue[serverCode].fix];
  const base = { observed, serverCode };

  // Which client code the status stands for comes from the catalogue (as connect() reports it).
  const clientCode = clientCodeForStatus(status);
  if (clientCode === 'WSG_RESPONSE_NOT_FOUND') {
    const listed = pathsListed(body, request.resource);
    const tryUrl = listed[0] === undefined ? undefined : new URL(listed[0], request.url).toString();
    return {
      step: 'upgrade',
      diagnosis: diagnose('upgrade', 'WSG_RESPONSE_NOT_FOUND', {
        ...base,
        summary: `${statusLine}: nothing serves WebSocket at ${request.resource}${serverDetail ? ` (the server says: ${serverDetail})` : ''}${listed.length > 0 ? `; the server lists ${listed.join(', ')}` : ''}.`,
        causes: [
          ...(says === undefined ? [] : [says]),
          ...(listed.length > 0
            ? [
                `The server names the paths it serves: ${listed.join(', ')}; ${request.resource} is not one of them.`,
              ]
            : []),
          `The path ${request.resource} is wrong: a typo, a prefix a proxy adds or strips (/api, /ws), or a trailing slash.`,
          ...(looksLikeHtml(head, body)
            ? [
                'The answer is an HTML page: a web server or a framework router answered, not the WebSocket endpoint.',
              ]
            : []),
          'The WebSocket server runs on another host or port than the one that answered.',
        ],
        fix: [
          ...(tryUrl === undefined ? [] : [`Try a path the server lists: wsgate doctor ${tryUrl}`]),
          'Connect to a path the server serves (check its WebSocket routes and any proxy prefix).',
          ...serverFix,
        ],
      }),
    };
  }

  if (clientCode === 'WSG_RESPONSE_UPGRADE_REQUIRED') {
    const version = head.headers['sec-websocket-version'];
    const wantsOtherVersion =
      serverCode === 'WSG_VERSION_UNSUPPORTED' ||
      (version !== undefined && !version.split(',').some((item) => item.trim() === '13'));
    if (wantsOtherVersion) {
      return {
        step: 'version',
        diagnosis: diagnose('version', 'WSG_RESPONSE_UPGRADE_REQUIRED', {
          ...base,
          summary: `${statusLine}: the server wants Sec-WebSocket-Version ${version ?? '(not said)'}; the doctor sent 13 (RFC 6455).`,
          causes: [
            ...(says === undefined ? [] : [says]),
            'The server implements an obsolete draft of the protocol (hixie-76, hybi-07/08) instead of RFC 6455.',
            'A proxy rewrote the Sec-WebSocket-Version header.',
          ],
          fix: ['Upgrade the server: browsers speak only version 13.'],
        }),
      };
    }
    return {
      step: 'upgrade',
      diagnosis: diagnose('upgrade', 'WSG_RESPONSE_UPGRADE_REQUIRED', {
        ...base,
        summary: `${statusLine}: the server answered as if the request had no Upgrade header, yet the doctor sent "Upgrade: websocket" and "Connection: Upgrade".`,
        causes: [
          ...(says === undefined ? [] : [says]),
          `A proxy or load balancer between the doctor and the server dropped the hop-by-hop headers Upgrade and Connection${viaProxy(head) ? ` (${viaProxy(head)})` : ''}.`,
          'The route only speaks WebSocket and an HTTP handler in front of it served the request without the upgrade.',
        ],
        fix: [NGINX_FIX, ...serverFix],
      }),
    };
  }

  if (clientCode === 'WSG_RESPONSE_REFUSED') {
    return {
      step: 'upgrade',
      diagnosis: diagnoseErrorStatus(head, body, request, statusLine, says, serverFix, base),
    };
  }

  // 1xx other than 101, 2xx and 3xx: served as plain HTTP.
  const missing = [
    headerHasToken(head.headers.upgrade, 'websocket') ? undefined : 'Upgrade: websocket',
    headerHasToken(head.headers.connection, 'upgrade') ? undefined : 'Connection: Upgrade',
    head.headers['sec-websocket-accept'] === undefined ? 'Sec-WebSocket-Accept' : undefined,
  ].filter((item): item is string => item !== undefined);
  const location = head.headers.location;
  const causes: string[] = [];
  const fix: string[] = [];
  if (status >= 300 && status < 400 && location !== undefined) {
    const target = websocketLocation(location, request.url);
    const targetUrl = target === undefined ? undefined : new URL(target);
    const probed = new URL(request.url);
    if (
      targetUrl !== undefined &&
      targetUrl.protocol === 'wss:' &&
      !request.secure &&
      targetUrl.hostname === probed.hostname
    ) {
      causes.push('The server redirects plain HTTP to HTTPS: the endpoint wants wss://.');
    } else if (
      targetUrl !== undefined &&
      targetUrl.pathname.replace(/\/$/, '') === probed.pathname.replace(/\/$/, '') &&
      targetUrl.pathname !== probed.pathname
    ) {
      causes.push(
        'The server redirects to the same path with or without a trailing slash: use the path it redirects to.',
      );
    } else if (/log-?in|sign-?in|auth|sso|oauth/i.test(location)) {
      causes.push(
        'A redirect to a login page: the endpoint requires authentication (a cookie or a token).',
      );
      fix.push(
        "Send the credentials the application expects, e.g. --header 'Cookie: session=…' or --header 'Authorization: Bearer …'.",
      );
    } else {
      causes.push(
        `The server redirects to ${location}; WebSocket clients do not follow redirects.`,
      );
    }
    if (target !== undefined)
      fix.push(`Connect to the redirect's target instead: wsgate doctor ${target}`);
  }
  const proxy = viaProxy(head);
  const proxyCause = `A proxy between the doctor and the server drops the Upgrade and Connection headers, so the server behind it served an ordinary request${proxy ? ` (the answer came through a proxy: ${proxy})` : ''}.`;
  const routeCause = `${request.resource} is an ordinary HTTP route (a page, an API, a static file), not the WebSocket route${looksLikeHtml(head, body) ? ': the answer is an HTML page' : ''}.`;
  if (status < 300 || location === undefined) {
    if (proxy !== undefined) causes.push(proxyCause, routeCause);
    else causes.push(routeCause, proxyCause);
    fix.push(NGINX_FIX, 'Check that this path is the WebSocket route.');
  }
  return {
    step: 'upgrade',
    diagnosis: diagnose('upgrade', 'WSG_RESPONSE_NOT_UPGRADED', {
      ...base,
      summary: `${statusLine}: served as plain HTTP instead of 101 Switching Protocols${missing.length > 0 ? `; missing on the way back: ${missing.join(', ')}` : ''}${location ? `; Location: ${location}` : ''}.`,
      causes,
      fix,
    }),
  };
}

function diagnoseErrorStatus(
  head: HttpResponseHead,
  body: string,
  request: RequestContext,
  statusLine: string,
  says: string | undefined,
  serverFix: readonly string[],
  base: { observed: string[]; serverCode: ErrorCode | undefined },
): Diagnosis {
  const status = head.status;
  const serverCode = base.serverCode;
  const saysList = says === undefined ? [] : [says];
  const retryAfter = head.headers['retry-after'];
  const proxy = viaProxy(head);
  const proxyNote = proxy === undefined ? '' : ` (${proxy})`;
  const headerHint =
    "Retry with the credentials or headers the application expects: --header 'Name: value' (repeatable)";
  const refused = (summary: string, causes: string[], fix: string[]): Diagnosis =>
    diagnose('upgrade', 'WSG_RESPONSE_REFUSED', {
      ...base,
      summary,
      causes,
      fix: [...fix, ...serverFix],
    });

  if (status === 400) {
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
      `${statusLine}: ${which}${base.serverCode === undefined ? '' : ` (${base.serverCode})`}.`,
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
  if (status === 401) {
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
  if (status === 403) {
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
  if (status === 405) {
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
  if (status === 429 || status === 503) {
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
  if (status === 500) {
    return refused(
      `${statusLine}: the server failed while handling the handshake.`,
      [
        ...saysList,
        'An application hook or the framework threw during the handshake; the server log has the error.',
      ],
      ['Look at the server log at the time of this request.'],
    );
  }
  if (status === 502) {
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
  if (status === 504) {
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

/** The diagnosis for a 101 that breaks RFC 6455 (validateServerResponse's verdict). */
export function diagnoseBadSwitch(
  code: ErrorCode,
  detail: string,
  head: HttpResponseHead,
  request: RequestContext,
): { step: StepName; diagnosis: Diagnosis } {
  const observed = observedResponse(head, undefined);
  const statusLine = `HTTP/${head.httpVersion} ${head.status} ${head.statusText}`.trimEnd();
  if (code === 'WSG_ACCEPT_MISMATCH') {
    const got = head.headers['sec-websocket-accept'];
    return {
      step: 'version',
      diagnosis: diagnose('version', code, {
        summary: `${statusLine} with a wrong Sec-WebSocket-Accept: expected ${computeAcceptKey(request.key)}, got ${got ?? '(none)'}.`,
        observed: [
          ...observed,
          '',
          `Sec-WebSocket-Key sent:  ${request.key}`,
          `Sec-WebSocket-Accept expected: ${computeAcceptKey(request.key)} (base64 of SHA-1 of the key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)`,
          `Sec-WebSocket-Accept received: ${got ?? '(none)'}`,
        ],
        causes: [
          'The server computes the accept key wrongly (RFC 6455 §4.2.2 step 5.4), or copies the key back.',
          "A proxy or cache answered in the server's place with a stored 101 for another key.",
          'The server speaks an obsolete draft of the protocol.',
        ],
        fix: [
          'Fix the server\'s handshake: Sec-WebSocket-Accept = base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")). Browsers refuse this connection.',
        ],
      }),
    };
  }
  if (code === 'WSG_RESPONSE_SUBPROTOCOL_UNOFFERED') {
    return {
      step: 'subprotocol',
      diagnosis: diagnose('subprotocol', code, {
        summary: `${statusLine}, but ${detail}.`,
        observed,
        causes: [
          request.subprotocols.length === 0
            ? 'The server always names a subprotocol, even when the client offered none: browsers fail such a connection.'
            : "The server picks a subprotocol outside the client's offer: browsers fail such a connection.",
        ],
        fix: [
          'Fix the server to choose only from Sec-WebSocket-Protocol, or to send none when none was offered.',
          'Offer the subprotocol the server wants: --protocol NAME.',
        ],
      }),
    };
  }
  if (code === 'WSG_RESPONSE_EXTENSION_UNOFFERED') {
    return {
      step: 'extensions',
      diagnosis: diagnose('extensions', code, {
        summary: `${statusLine}, but ${detail}.`,
        observed: [
          ...observed,
          '',
          `Sec-WebSocket-Extensions offered: ${request.extensionsOffer ?? '(none)'}`,
        ],
        causes: [
          request.extensionsOffer === undefined
            ? 'The server enables an extension without the client asking for it: browsers fail such a connection.'
            : 'The server answers with an extension or parameter outside the offer (RFC 7692 §7.1).',
        ],
        fix: ["Fix the server's extension negotiation: accept only what the client offered."],
      }),
    };
  }
  return {
    step: 'upgrade',
    diagnosis: diagnose('upgrade', code, {
      summary: `${statusLine}, but ${detail}.`,
      observed,
      causes: ['The server (or a proxy) answers 101 without the headers RFC 6455 §4.2.2 requires.'],
      fix: ['Fix the server to send "Upgrade: websocket" and "Connection: Upgrade" with the 101.'],
    }),
  };
}
