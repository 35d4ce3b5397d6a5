/**
 * The error catalogue: the single source of truth for every refusal and failure wsgate reports.
 *
 * HTTP refusals, close reasons, `WsgateError`, log events and `docs/errors.md` are all derived
 * from these entries. Codes are stable: once released, a code is never renamed or reused.
 */

/** Where in a connection's life the error happens. */
export const ErrorKind = {
  /** The server refuses an opening handshake with an HTTP status (RFC 6455 §4.2.2). */
  handshake: 'handshake',
  /** A peer broke RFC 6455 or a limit after the upgrade; the connection is closed with a code. */
  protocol: 'protocol',
  /** The connection ends for a reason that is not the peer's fault (shutdown, timeouts). */
  lifecycle: 'lifecycle',
  /** A client could not open a connection (DNS, TCP, TLS, a refused or broken handshake). */
  client: 'client',
  /** A server or framework adapter could not start (a port in use, an unknown framework). */
  server: 'server',
  /** A topic operation failed: a bad topic name, or no backplane to carry it; connections stay open. */
  topic: 'topic',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** What every entry says, whatever its kind. */
interface EntryText {
  /** One line saying what went wrong. */
  readonly title: string;
  /** The likely cause, written for the person reading the log or the page. */
  readonly cause: string;
  /** What to do about it, naming the library's options rather than any one application's. */
  readonly fix: string;
  /** What `wsgate doctor` checks that finds this error, and how it reports it. */
  readonly doctor: string;
  /** How to fix it on common setups (nginx and other proxies, TLS, Origin, clients), by setup. */
  readonly setups?: Readonly<Record<string, string>>;
}

/** The server refuses the opening handshake with an HTTP status (RFC 6455 §4.2.2). */
export interface HandshakeEntry extends EntryText {
  readonly kind: 'handshake';
  /** HTTP status of the refusal. */
  readonly status: number;
  /** Headers the status requires (RFC 9110 §15, RFC 6455 §4.4). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The request header (or part of the request) the refusal objects to, for tools that explain it. */
  readonly objectsTo?: string;
}

/** The connection is closed with a close code (RFC 6455 §7.4.1). */
export interface ClosingEntry extends EntryText {
  readonly kind: 'protocol' | 'lifecycle';
  /** Close code sent to the peer. */
  readonly closeCode: number;
}

/** A client could not open a connection; nothing is sent to a peer. */
export interface ClientEntry extends EntryText {
  readonly kind: 'client';
  /**
   * The handshake answers this code stands for, as an inclusive range of statuses: a client
   * reports an answer other than 101 with the code whose range is the narrowest around it.
   */
  readonly answers?: { readonly from: number; readonly to: number };
}

/**
 * A failure raised to the application itself (a server that cannot start, a topic operation that
 * fails): no status, no close code.
 */
export interface ApplicationEntry extends EntryText {
  readonly kind: 'server' | 'topic';
}

export type CatalogueEntry = HandshakeEntry | ClosingEntry | ClientEntry | ApplicationEntry;

const entries = {
  // --- handshake refusals -------------------------------------------------------------
  WSG_NOT_WEBSOCKET: {
    kind: 'handshake',
    status: 426,
    headers: { Upgrade: 'websocket' },
    title: 'This path only speaks WebSocket',
    cause:
      'A plain HTTP request reached a WebSocket endpoint: it has no "Upgrade: websocket" header. Typical when the URL is opened in a browser tab, fetched with curl, or a proxy dropped the Upgrade header.',
    fix: 'Connect with a WebSocket client (new WebSocket("ws://...") in a browser). If a proxy sits in front, forward the Upgrade and Connection headers (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade").',
    doctor:
      "The doctor always sends Upgrade and Connection, so when its `upgrade` step gets this 426 (reported as WSG_RESPONSE_UPGRADE_REQUIRED) something between dropped them; it names the proxy when the answer's Server or Via header shows one.",
    setups: {
      nginx:
        'In the location that proxies the WebSocket path: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"; without them nginx forwards the request over HTTP/1.0 and without either header.',
      'Apache httpd':
        'Enable mod_proxy_wstunnel, or on 2.4.47 and later add upgrade=websocket to the ProxyPass line.',
      'Other proxies':
        'HAProxy, Traefik, Caddy and Envoy forward upgrades by default: look for a rule that rewrites Connection or Upgrade, or a listener in a mode that does not pass them.',
    },
  },
  WSG_VERSION_UNSUPPORTED: {
    kind: 'handshake',
    status: 426,
    headers: { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' },
    objectsTo: 'Sec-WebSocket-Version',
    title: 'Unsupported WebSocket version',
    cause:
      'The request asked for a Sec-WebSocket-Version other than 13, or sent none. Version 13 (RFC 6455) is the only standard version; older drafts (8, hybi-00) are obsolete.',
    fix: 'Send "Sec-WebSocket-Version: 13". Every current browser and maintained client library does; upgrade an old client library.',
    doctor:
      'The doctor sends version 13; a 426 that asks for another Sec-WebSocket-Version fails its `version` step (WSG_RESPONSE_UPGRADE_REQUIRED), quoting the version the server wants.',
    setups: {
      Browsers: 'Every current browser sends 13: nothing to change.',
      'Old client libraries':
        'Clients from before RFC 6455 (hixie-76, hybi drafts) send no version or 8: upgrade them.',
      Proxies: 'A proxy must pass Sec-WebSocket-Version unchanged.',
    },
  },
  WSG_METHOD_NOT_ALLOWED: {
    kind: 'handshake',
    status: 405,
    headers: { Allow: 'GET' },
    title: 'The WebSocket handshake must be a GET',
    cause: 'The upgrade request used another method than GET (RFC 6455 §4.1).',
    fix: 'Open the connection with a WebSocket client, which always sends GET; do not POST to a WebSocket URL.',
    doctor:
      'The doctor always sends GET, so it never causes this; a 405 from any server fails the `upgrade` step as WSG_RESPONSE_REFUSED, with the Allow header.',
    setups: {
      Clients:
        'Open the connection with a WebSocket client (new WebSocket(url), ws, websockets); curl -X POST or fetch() cannot.',
      Proxies: 'A rule that rewrites methods must leave GET upgrade requests alone.',
    },
  },
  WSG_HTTP_VERSION_UNSUPPORTED: {
    kind: 'handshake',
    status: 505,
    title: 'The WebSocket handshake needs HTTP/1.1',
    cause:
      'The request was HTTP/1.0 (or older). RFC 6455 §4.1 requires HTTP/1.1 or later; a proxy that downgrades to HTTP/1.0 also drops the upgrade.',
    fix: 'Send the request as HTTP/1.1. Behind nginx, set "proxy_http_version 1.1;" in the location that proxies WebSockets.',
    doctor:
      'The doctor sends HTTP/1.1; a 505 with this code in the `upgrade` step (WSG_RESPONSE_REFUSED) points at a proxy that forwards HTTP/1.0.',
    setups: {
      nginx:
        'proxy_http_version 1.1; in the location: nginx proxies with HTTP/1.0 by default, which cannot upgrade.',
      'Apache httpd':
        'mod_proxy uses HTTP/1.1 unless force-proxy-request-1.0 is set for the location: unset it.',
    },
  },
  WSG_HTTP_VERSION_UNKNOWN: {
    kind: 'handshake',
    status: 505,
    title: 'The request names an HTTP version this server does not speak',
    cause:
      'The request line names a version other than HTTP/1.0 and HTTP/1.1 (HTTP/2.0, HTTP/1.2, HTTP/9.9...). A head in HTTP/1.1 text is HTTP/1.x (RFC 9112 §2.3); HTTP/2 and HTTP/3 never arrive as text, and WebSockets over them use CONNECT (RFC 8441), not this upgrade.',
    fix: 'Send the request as HTTP/1.1. A hand-written client or a fuzzer wrote another version into the request line.',
    doctor:
      'The doctor sends HTTP/1.1; this code in a 505 at the `upgrade` step (WSG_RESPONSE_REFUSED) means something on the way rewrote the request line.',
    setups: {
      'Node http server':
        'Attached to a Node http or https server, HTTP/1.2 and later minor versions and HTTP/3.0 and up are answered 400 by Node itself (HPE_INVALID_VERSION); Node hands HTTP/2.0 heads to the upgrade listener, which refuses them with this code.',
    },
  },
  WSG_HOST_MISSING: {
    kind: 'handshake',
    status: 400,
    objectsTo: 'Host',
    title: 'The Host header is missing',
    cause: 'HTTP/1.1 requests must carry a Host header (RFC 6455 §4.1, RFC 7230 §5.4).',
    fix: 'Send a Host header; a hand-written client or a misconfigured proxy usually left it out.',
    doctor:
      'The doctor always sends Host; this code in a 400 (the `upgrade` step reports WSG_RESPONSE_REFUSED naming the Host header) means a proxy between removed it.',
    setups: {
      nginx:
        "nginx always sends a Host (the proxied host by default; proxy_set_header Host $host; passes the client's).",
      'Hand-written clients': 'HTTP/1.1 requires Host on every request.',
    },
  },
  WSG_UPGRADE_TOKEN_MISSING: {
    kind: 'handshake',
    status: 400,
    objectsTo: 'Upgrade',
    title: 'The Upgrade header does not name websocket',
    cause:
      'The request has an Upgrade header, but without the "websocket" token (RFC 6455 §4.2.1): it asks to switch to another protocol.',
    fix: 'Send "Upgrade: websocket". If a proxy rewrites Upgrade, pass the client\'s value through ($http_upgrade in nginx).',
    doctor:
      'The doctor sends Upgrade: websocket; this code in a 400 (the `upgrade` step reports WSG_RESPONSE_REFUSED naming the Upgrade header) means something between rewrote it.',
    setups: {
      nginx:
        "proxy_set_header Upgrade $http_upgrade; passes the client's value; a fixed value other than websocket causes this.",
      'Other proxies': 'Look for a rule that sets Upgrade to another protocol (h2c, TLS).',
    },
  },
  WSG_CONNECTION_TOKEN_MISSING: {
    kind: 'handshake',
    status: 400,
    objectsTo: 'Connection',
    title: 'The Connection header does not contain "upgrade"',
    cause:
      'The request asks for "Upgrade: websocket" but its Connection header lacks the "upgrade" token (RFC 6455 §4.2.1). A proxy that does not forward hop-by-hop headers causes exactly this.',
    fix: 'Send "Connection: Upgrade" (a list such as "keep-alive, Upgrade" is fine). Behind nginx: proxy_set_header Connection "upgrade".',
    doctor:
      'The doctor sends Connection: Upgrade; this code in a 400 (the `upgrade` step reports WSG_RESPONSE_REFUSED naming the Connection header) means a proxy between replaced it, usually with close or keep-alive.',
    setups: {
      nginx:
        'proxy_set_header Connection "upgrade"; (or a map from $http_upgrade to $connection_upgrade): nginx sends Connection: close otherwise.',
      'Other proxies':
        'A proxy must forward Connection: Upgrade on upgrade requests; check rules that force close or keep-alive.',
    },
  },
  WSG_KEY_MISSING: {
    kind: 'handshake',
    status: 400,
    objectsTo: 'Sec-WebSocket-Key',
    title: 'Sec-WebSocket-Key is missing',
    cause: 'The request has no Sec-WebSocket-Key header (RFC 6455 §4.1), or a proxy removed it.',
    fix: 'Send a Sec-WebSocket-Key: the base64 encoding of 16 random bytes, new for each connection. Use a WebSocket client library rather than hand-written requests.',
    doctor:
      'The doctor sends a new key every time; this code in a 400 (the `upgrade` step reports WSG_RESPONSE_REFUSED naming Sec-WebSocket-Key, which the doctor sent) means a proxy or filter between dropped it.',
    setups: {
      'Proxies, API gateways and WAFs':
        'Let every Sec-WebSocket-* header through: header allow-lists often drop them.',
      'Hand-written clients': 'Send the base64 of 16 random bytes as Sec-WebSocket-Key.',
    },
  },
  WSG_KEY_INVALID: {
    kind: 'handshake',
    status: 400,
    objectsTo: 'Sec-WebSocket-Key',
    title: 'Sec-WebSocket-Key is not base64 of 16 bytes',
    cause:
      'The Sec-WebSocket-Key header is present but is not the base64 encoding of exactly 16 bytes (24 characters ending in "=="), or it was sent twice.',
    fix: 'Generate the key as base64 of 16 random bytes, once per connection (RFC 6455 §4.1).',
    doctor:
      "The doctor's key is valid, so this code in a 400 (the `upgrade` step reports WSG_RESPONSE_REFUSED naming Sec-WebSocket-Key) means a proxy between altered or duplicated it.",
    setups: {
      'Hand-written clients': 'crypto.randomBytes(16).toString("base64"), new for each connection.',
      Proxies:
        "A proxy that adds a Sec-WebSocket-Key of its own sends two: let the client's through unchanged.",
    },
  },
  WSG_EXTENSIONS_MALFORMED: {
    kind: 'handshake',
    status: 400,
    objectsTo: 'Sec-WebSocket-Extensions',
    title: 'Sec-WebSocket-Extensions cannot be parsed',
    cause:
      'The Sec-WebSocket-Extensions header does not follow the grammar of RFC 6455 §9.1: an unterminated quoted string, or a name or value that is not a token. A permessage-deflate offer with an unknown, repeated or invalid parameter is not refused but declined (RFC 7692 §7.1): the connection opens uncompressed.',
    fix: 'Send extension offers as "name; param=value, name2". Let the client library build this header.',
    doctor:
      'The doctor offers "permessage-deflate; client_max_window_bits" (nothing with --no-deflate); this code in a 400 (the `upgrade` step reports WSG_RESPONSE_REFUSED naming Sec-WebSocket-Extensions) means a proxy rewrote the header: retry with --no-deflate to confirm.',
    setups: {
      Clients:
        'Let the library build the offer (browsers do it themselves; ws: the perMessageDeflate option).',
      Proxies:
        'Forward Sec-WebSocket-Extensions unchanged, or remove it (no compression then): never rewrite it.',
    },
  },
  WSG_SUBPROTOCOLS_MALFORMED: {
    kind: 'handshake',
    status: 400,
    objectsTo: 'Sec-WebSocket-Protocol',
    title: 'Sec-WebSocket-Protocol cannot be parsed',
    cause:
      'The Sec-WebSocket-Protocol header is not a comma-separated list of tokens (RFC 6455 §4.1).',
    fix: 'Offer subprotocols as tokens, e.g. "chat.v2, chat.v1".',
    doctor:
      'The doctor refuses a --protocol value that is not a token before probing (exit 2), so this code in a 400 (the `upgrade` step reports WSG_RESPONSE_REFUSED naming Sec-WebSocket-Protocol) comes from something between.',
    setups: {
      Browsers:
        'new WebSocket(url, ["chat.v2"]) throws a SyntaxError for an invalid name before connecting.',
      'Other clients':
        'Names are tokens (RFC 9110 §5.6.2): letters, digits and symbols such as . - _, with no spaces, commas or slashes.',
    },
  },
  WSG_SUBPROTOCOL_REQUIRED: {
    kind: 'handshake',
    status: 400,
    objectsTo: 'Sec-WebSocket-Protocol',
    title: 'No offered subprotocol is supported',
    cause:
      'This endpoint requires a subprotocol, and the client offered none that the server supports.',
    fix: 'Offer one of the subprotocols the server lists in the detail, e.g. new WebSocket(url, ["chat.v2"]).',
    doctor:
      'The `upgrade` step reports the 400 as WSG_RESPONSE_REFUSED naming Sec-WebSocket-Protocol; when the doctor offered none it says the endpoint requires one and suggests --protocol NAME.',
    setups: {
      'Browsers and ws':
        'Pass the subprotocols as the second argument: new WebSocket(url, ["chat.v2"]).',
      'wsgate server':
        'subprotocols: [...] with requireSubprotocol: true refuses clients that offer none of them; the detail lists them.',
    },
  },
  WSG_H2_PROTOCOL_MISSING: {
    kind: 'handshake',
    status: 400,
    objectsTo: ':protocol',
    title: 'An HTTP/2 CONNECT without :protocol is not a WebSocket',
    cause:
      'An HTTP/2 CONNECT request reached a WebSocket server without the :protocol pseudo-header: it asks for a TCP tunnel (RFC 9113 §8.5), not for a WebSocket, which RFC 8441 opens with an extended CONNECT carrying ":protocol: websocket".',
    fix: 'Open WebSockets over HTTP/2 with an extended CONNECT: the pseudo-headers :method CONNECT, :protocol websocket, :scheme, :path and :authority, once the server has sent SETTINGS_ENABLE_CONNECT_PROTOCOL; or connect over HTTP/1.1.',
    doctor:
      'The doctor opens WebSockets over HTTP/1.1 and never sends an HTTP/2 CONNECT, so it does not cause this; a server answering it anyway gets its 400 reported by the `upgrade` step as WSG_RESPONSE_REFUSED, with this code.',
    setups: {
      'HTTP/2 clients':
        "Send :protocol websocket with the CONNECT (Node: session.request with those pseudo-headers), and wait for the server's SETTINGS to enable the connect protocol first.",
      Proxies:
        'A proxy that turns WebSockets into plain HTTP/2 CONNECT tunnels drops :protocol: let it forward extended CONNECT, or connect to the backend over HTTP/1.1.',
    },
  },
  WSG_H2_PROTOCOL_UNSUPPORTED: {
    kind: 'handshake',
    status: 400,
    objectsTo: ':protocol',
    title: 'The extended CONNECT asks for another protocol than websocket',
    cause:
      'An HTTP/2 extended CONNECT (RFC 8441) named a :protocol other than websocket; this server only bootstraps WebSockets.',
    fix: 'Send ":protocol: websocket" on the extended CONNECT, or take the other protocol to a server that speaks it.',
    doctor:
      'The doctor opens WebSockets over HTTP/1.1 and never sends an HTTP/2 CONNECT, so it does not cause this; a server answering it anyway gets its 400 reported by the `upgrade` step as WSG_RESPONSE_REFUSED, with this code.',
    setups: {
      'HTTP/2 clients':
        'The :protocol value is the Upgrade token of the protocol: websocket for WebSockets (RFC 8441 §5).',
    },
  },
  WSG_H2_KEY_UNEXPECTED: {
    kind: 'handshake',
    status: 400,
    objectsTo: 'Sec-WebSocket-Key',
    title: 'Sec-WebSocket-Key has no place in an HTTP/2 WebSocket handshake',
    cause:
      'An HTTP/2 extended CONNECT carried Sec-WebSocket-Key or Sec-WebSocket-Accept: those belong to the HTTP/1.1 upgrade, and RFC 8441 §5 does not use them; a client that sends them mixes the two handshakes.',
    fix: 'Leave Sec-WebSocket-Key and Sec-WebSocket-Accept out of the extended CONNECT; send them only with an HTTP/1.1 upgrade.',
    doctor:
      'The doctor opens WebSockets over HTTP/1.1 and never sends an HTTP/2 CONNECT, so it does not cause this; a server answering it anyway gets its 400 reported by the `upgrade` step as WSG_RESPONSE_REFUSED, with this code.',
    setups: {
      'HTTP/2 clients':
        'Build the extended CONNECT from :method, :protocol, :scheme, :path, :authority and Sec-WebSocket-Version: 13, plus Origin, Sec-WebSocket-Protocol and Sec-WebSocket-Extensions when needed.',
      Proxies:
        "A proxy that translates an HTTP/1.1 upgrade into an HTTP/2 extended CONNECT must drop Sec-WebSocket-Key and answer the client's key itself.",
    },
  },
  WSG_REQUEST_MALFORMED: {
    kind: 'handshake',
    status: 400,
    objectsTo: 'the request head (its syntax)',
    title: 'The HTTP request is malformed',
    cause:
      'The bytes received are not a valid HTTP/1.1 request head: a bad request line, a header without a colon, invalid characters, or a folded header.',
    fix: 'Check what the client or proxy sends; a raw TCP client that does not speak HTTP or TLS sent to a plain port also shows this.',
    doctor:
      "The doctor writes its request with wsgate's own serializer, so this code in a 400 at the `upgrade` step (WSG_RESPONSE_REFUSED) means bytes were changed on the way. A wss:// probe of a plain port gets this answer to its TLS handshake: the `tls` step then says the port speaks plain HTTP.",
    setups: {
      TLS: 'A wss:// client, or an HTTPS health check, pointed at a plain ws:// port sends a TLS ClientHello, which is not HTTP: use ws://, or terminate TLS in front.',
      Proxies:
        'A proxy that sends the PROXY protocol header to a backend that does not expect it causes this: turn it off for this backend.',
    },
  },
  WSG_REQUEST_LINE_ENDING_INVALID: {
    kind: 'handshake',
    status: 400,
    title: 'The request head has a line that does not end with CRLF',
    cause:
      'A line of the request head ends with a bare LF or a bare CR. HTTP/1.1 lines end with CR LF (RFC 9112 §2.2); the server refuses anything else at once, rather than waiting for a CRLF CRLF that never comes, because servers and proxies that read such lines differently can be made to disagree on where the head ends.',
    fix: 'End every line of the request, and the head, with "\\r\\n". Hand-written clients (printf, netcat without -C, a string with "\\n" only) cause this.',
    doctor:
      'The doctor writes CRLF line endings; this code in a 400 at the `upgrade` step (WSG_RESPONSE_REFUSED) means a proxy on the way rewrote the line endings.',
    setups: {
      'Node http server':
        'Attached to a Node http or https server, the same request is answered 400 by Node itself (HPE_CR_EXPECTED, HPE_INVALID_VERSION), without this code.',
      'Hand-written clients':
        'netcat: use nc -C, which sends CRLF; in code, join lines with "\\r\\n".',
    },
  },
  WSG_REQUEST_FRAMING_INVALID: {
    kind: 'handshake',
    status: 400,
    title: 'The request head announces a body ambiguously',
    cause:
      'The request has Content-Length more than once, a Content-Length that is not a decimal number, or both Content-Length and Transfer-Encoding. Servers and proxies may read such a message differently, which is how requests are smuggled (RFC 9112 §6.1, §6.3): it is refused, and the connection closed.',
    fix: 'Send one Content-Length: 0 or none at all: a WebSocket handshake has no body. Check the client or the proxy that added the second header.',
    doctor:
      'The doctor sends no body headers; this code in a 400 at the `upgrade` step (WSG_RESPONSE_REFUSED) means a proxy on the way added them.',
    setups: {
      'Node http server':
        'Attached to a Node http or https server, the same request is answered 400 by Node itself (HPE_UNEXPECTED_CONTENT_LENGTH, HPE_INVALID_TRANSFER_ENCODING), without this code.',
    },
  },
  WSG_REQUEST_BODY_UNEXPECTED: {
    kind: 'handshake',
    status: 400,
    title: 'The upgrade request announces a body',
    cause:
      'The upgrade request has a Content-Length other than 0 or a Transfer-Encoding. A WebSocket handshake is a GET without a body (RFC 6455 §4.1); the bytes after its head are WebSocket frames, so a body would be read as frames by one side and as a body by another: the request is refused instead.',
    fix: 'Send the handshake without a body and without Content-Length or Transfer-Encoding (Content-Length: 0 is accepted).',
    doctor:
      'The doctor sends no body; this code in a 400 at the `upgrade` step (WSG_RESPONSE_REFUSED) means a proxy on the way added body headers to the upgrade.',
    setups: {
      'Node http server':
        'Attached to a Node http or https server, Node hands such an upgrade to wsgate with the body as the first bytes of the connection; wsgate refuses it with this code, on every adapter.',
    },
  },
  WSG_HEADERS_TOO_LARGE: {
    kind: 'handshake',
    status: 431,
    objectsTo: 'the request head (its size)',
    title: 'Request headers are too large',
    cause:
      'The request head is larger than the server allows, or has too many header lines. Large cookies are the usual cause.',
    fix: 'Send fewer or smaller headers (trim cookies for this host), or raise maxHeaderBytes / maxHeaderCount on the server.',
    doctor:
      "The `upgrade` step reports the 431 as WSG_RESPONSE_REFUSED; the doctor's own request is small, so the size comes from --header values or from headers a proxy adds.",
    setups: {
      Browsers:
        'Cookies for the domain travel with the upgrade request: scope them by path or host, or trim them.',
      'wsgate server': 'maxHeaderBytes and maxHeaderCount bound the request head.',
    },
  },
  WSG_PATH_NOT_FOUND: {
    kind: 'handshake',
    status: 404,
    title: 'No WebSocket endpoint at this path',
    cause:
      'The server has no WebSocket route for the requested path. Typical causes: a typo, a missing prefix added by a proxy or router, or a trailing slash.',
    fix: 'Connect to a path the server serves (check its WebSocket routes and any prefix a proxy adds), or register a WebSocket route for this path.',
    doctor:
      "The `upgrade` step reports the 404 as WSG_RESPONSE_NOT_FOUND with this code and its detail; when a server's 404 lists the paths it serves, the doctor names them and the URL to try. A URL without a path is probed at / with a note.",
    setups: {
      nginx:
        'proxy_pass http://backend/; (with a path) replaces the matched location prefix: location /ws/ then reaches the backend as /; proxy_pass http://backend; (without) keeps the whole path. Make the backend route match what arrives.',
      'Express, Koa and NestJS':
        'Register the WebSocket route on the path the client uses, router prefixes included (app.use("/api", router) adds /api).',
      'Trailing slashes': '/chat and /chat/ are different paths: use the one the server registers.',
    },
  },
  WSG_ORIGIN_REFUSED: {
    kind: 'handshake',
    status: 403,
    objectsTo: 'Origin',
    title: 'Origin not allowed',
    cause:
      "The Origin header of the request is not on the server's allow-list. Browsers send the page's origin; cross-site WebSocket hijacking is prevented this way.",
    fix: 'Open the page from an allowed origin, or add it to the origins option of the server. Compare scheme, host and port exactly.',
    doctor:
      "The `upgrade` step reports the 403 as WSG_RESPONSE_REFUSED naming this code; the doctor sends no Origin unless given --origin, and suggests retrying with the page's origin.",
    setups: {
      Origin:
        'Compare scheme, host and port exactly: http:// and https:// differ, and so do app.example and www.app.example; https://app.example and https://app.example:443 are the same origin.',
      'wsgate server':
        'origins: ["https://app.example", "https://admin.example"] (or a function of the Origin); requireOrigin: true also refuses requests that send none.',
      'Development servers':
        'A page served by a dev server (http://localhost:5173) has that origin: allow it in development only.',
      Proxies:
        "A proxy must pass the browser's Origin unchanged: rewriting it to the backend's own address defeats the check.",
    },
  },
  WSG_AUTH_REQUIRED: {
    kind: 'handshake',
    status: 401,
    title: 'Authentication required',
    cause:
      'The application requires credentials for this WebSocket endpoint and the request had none, or they were invalid.',
    fix: 'Send credentials the application accepts (a cookie, a token in the query string, or an Authorization header for non-browser clients).',
    doctor:
      "The `upgrade` step reports the 401 as WSG_RESPONSE_REFUSED with WWW-Authenticate, and suggests --header 'Authorization: …' or --header 'Cookie: …'.",
    setups: {
      Browsers:
        'A page cannot set Authorization on a WebSocket: use a cookie (same site) or a short-lived token in the query string.',
      nginx:
        'auth_request or auth_basic in the location runs before the upgrade: its 401 reaches the client the same way.',
      'Other clients': 'Send Authorization: Bearer TOKEN with the upgrade request.',
    },
  },
  WSG_FORBIDDEN: {
    kind: 'handshake',
    status: 403,
    title: 'Handshake refused by the application',
    cause: 'An application hook or guard refused this handshake.',
    fix: "Check the application's access rules for this endpoint; the detail, when present, says which rule refused.",
    doctor:
      'The `upgrade` step reports the 403 as WSG_RESPONSE_REFUSED with this code and its detail; it ranks Origin and access rules, and suggests --origin and --header.',
    setups: {
      NestJS: 'A guard on the gateway that denies the handshake answers with this code.',
      'Express and Koa':
        'A middleware before the WebSocket route that fails with a 403 error, or a verifyUpgrade hook that returns { refuse: "WSG_FORBIDDEN" }.',
    },
  },
  WSG_TOO_MANY_CONNECTIONS: {
    kind: 'handshake',
    status: 503,
    headers: { 'Retry-After': '5' },
    title: 'Too many connections',
    cause: 'The server is at its maximum number of WebSocket connections (maxConnections).',
    fix: 'Retry after the delay in Retry-After with backoff, or raise maxConnections / add capacity.',
    doctor:
      'The `upgrade` step reports the 503 as WSG_RESPONSE_REFUSED and says when to retry from Retry-After.',
    setups: {
      'wsgate server':
        'Raise maxConnections if memory allows, or add instances behind a load balancer.',
      nginx: 'Each proxied WebSocket holds two nginx connections: size worker_connections for it.',
      Clients: 'Reconnect with exponential backoff and jitter, after Retry-After.',
    },
  },
  WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT: {
    kind: 'handshake',
    status: 503,
    headers: { 'Retry-After': '5' },
    title: 'Too many connections from this address',
    cause:
      'This client address already holds the maximum number of connections (maxConnectionsPerAddress, 256 by default).',
    fix: 'Close unused connections (one per tab is typical), or raise maxConnectionsPerAddress (0 turns it off). Behind a proxy, make sure the real client address is used.',
    doctor:
      'The `upgrade` step reports the 503 as WSG_RESPONSE_REFUSED and says when to retry from Retry-After.',
    setups: {
      'Behind a proxy':
        "Every client then has the proxy's address and the per-address limit counts them all together: raise maxConnectionsPerAddress or set it to 0 behind a proxy.",
      Browsers: 'Each tab opens its own connection: close connections a page no longer uses.',
    },
  },
  WSG_SERVER_SHUTTING_DOWN: {
    kind: 'handshake',
    status: 503,
    headers: { 'Retry-After': '1' },
    title: 'Server is shutting down',
    cause: 'The server is closing and accepts no new connections.',
    fix: 'Reconnect after Retry-After; another instance usually takes over during a deploy.',
    doctor: 'The `upgrade` step reports the 503 as WSG_RESPONSE_REFUSED, with Retry-After.',
    setups: {
      Deploys:
        'Take an instance out of the load balancer before closing it, so that new connections go elsewhere.',
      Clients: 'Reconnect after Retry-After, with backoff.',
    },
  },
  WSG_HANDSHAKE_TIMEOUT: {
    kind: 'handshake',
    status: 408,
    title: 'Handshake too slow',
    cause:
      'The complete request head did not arrive within the handshake timeout, or more connections than maxPendingHandshakes were waiting for theirs and this was the oldest. Slowloris-style clients, a stalled proxy, or a client that opened TCP and sent nothing cause this.',
    fix: 'Send the whole request head promptly; raise handshakeTimeoutMs or maxPendingHandshakes only if clients are legitimately slow.',
    doctor:
      "The doctor sends its request at once, so it does not cause this; a 408 in the `upgrade` step is reported as WSG_RESPONSE_REFUSED. A server that never answers at all is the doctor's WSG_CONNECT_TIMEOUT at the `upgrade` step.",
    setups: {
      'Load balancer health checks':
        'TCP checks that open a connection and send nothing end with this code: expected, not an error.',
      Proxies:
        'A proxy that holds the request before forwarding it can take longer than handshakeTimeoutMs: check its buffering.',
    },
  },
  WSG_HOOK_FAILED: {
    kind: 'handshake',
    status: 500,
    title: 'Server error during the handshake',
    cause:
      'An application hook threw while handling the handshake. The error was logged on the server; nothing of it is sent to the client.',
    fix: 'Look at the server log for the wsgate.handshake.hook_failed event and fix the hook.',
    doctor:
      'The `upgrade` step reports the 500 as WSG_RESPONSE_REFUSED; the exception stays in the server log, and the doctor points there.',
    setups: {
      'wsgate server':
        'The log event wsgate.handshake.hook_failed carries the error and its stack.',
      'Express, Koa and NestJS':
        'An exception (not an HTTP error) thrown in a middleware, hook or guard before the upgrade ends here.',
    },
  },
  WSG_RATE_LIMITED: {
    kind: 'handshake',
    status: 429,
    title: 'Too many requests from this client',
    cause:
      'A rate limiter of the application (a middleware, guard or hook before the WebSocket route) refused this handshake: the client made too many requests or connection attempts in its window (RFC 6585 §4).',
    fix: 'Reconnect no sooner than Retry-After, with backoff and jitter. If legitimate clients hit the limit, raise it in the rate limiter in front of the WebSocket route.',
    doctor:
      'The `upgrade` step reports the 429 as WSG_RESPONSE_REFUSED and says when to retry from Retry-After.',
    setups: {
      Clients: 'Reconnect with exponential backoff and jitter, never sooner than Retry-After.',
      'Express, Koa and NestJS':
        'A rate limiter before the WebSocket route (express-rate-limit, koa-ratelimit, a throttling handshake guard) answers with this code; its Retry-After and RateLimit headers reach the client.',
      nginx: 'limit_req and limit_conn answer 503 unless limit_req_status 429 is set.',
    },
  },
  WSG_REQUEST_TIMEOUT: {
    kind: 'handshake',
    status: 408,
    title: 'The application timed out on the handshake',
    cause:
      "A middleware, guard or hook of the application answered 408 Request Timeout to the upgrade request: its own timeout ran out (a session store or an authentication service that did not answer in time). The server's limit on a slow request head is WSG_HANDSHAKE_TIMEOUT.",
    fix: "Find what the middleware before the WebSocket route waits for and make it answer sooner, or raise that middleware's timeout.",
    doctor:
      'The `upgrade` step reports the 408 as WSG_RESPONSE_REFUSED with this code; the time it took is in the report.',
    setups: {
      'Express, Koa and NestJS':
        'A timeout middleware (connect-timeout, koa-timeout) or a guard that gives up answers with this code: look at the service it waited for.',
    },
  },
  WSG_REQUEST_TOO_LARGE: {
    kind: 'handshake',
    status: 413,
    title: 'The upgrade request carries a body too large',
    cause:
      'A middleware of the application answered 413 Content Too Large (RFC 9110 §15.5.14): a body parser found a body, or a Content-Length, over its limit on the upgrade request. An opening handshake has no body (RFC 6455 §4.1).',
    fix: 'Send the upgrade request without a body (WebSocket clients do); mount body parsers only on the routes that take bodies.',
    doctor:
      'The doctor sends no body, so a 413 at the `upgrade` step (WSG_RESPONSE_REFUSED) means a proxy added one or a body parser objects to a header such as Content-Length.',
    setups: {
      'Express, Koa and NestJS':
        'A body parser mounted on every route (express.json, koa-body) runs on the upgrade request too: mount it on the routes that take bodies.',
    },
  },
  WSG_SERVER_UNAVAILABLE: {
    kind: 'handshake',
    status: 503,
    headers: { 'Retry-After': '5' },
    title: 'The application is not available',
    cause:
      'A middleware, guard or hook of the application answered 503 Service Unavailable: the application is starting, not ready (a readiness check failed), in maintenance, or overloaded.',
    fix: "Reconnect after Retry-After (the application's own, else 5 seconds), with backoff. If it lasts, look at the readiness check or the maintenance switch in front of the WebSocket route.",
    doctor:
      'The `upgrade` step reports the 503 as WSG_RESPONSE_REFUSED, with Retry-After when the application sent one.',
    setups: {
      Clients: 'Reconnect with backoff, after Retry-After when the answer has one.',
      Deploys:
        'Send traffic to an instance only once its readiness check passes, so that clients do not meet one that is still starting.',
    },
  },
  WSG_REQUEST_REFUSED: {
    kind: 'handshake',
    status: 400,
    title: 'The application refused the request',
    cause:
      'A middleware, guard or hook of the application answered the upgrade request with a client error that has no more precise code (400 from a validator, 409, 422...). The status it chose is kept.',
    fix: "Read the status and the detail: the application's rule for this endpoint says what the request lacks (a query parameter, a header, a value).",
    doctor:
      'The `upgrade` step reports the status as WSG_RESPONSE_REFUSED with this code and the detail the application gave.',
    setups: {
      'Express, Koa and NestJS':
        'An error with a 4xx status passed to next(), thrown with ctx.throw or as an HttpException in a handshake guard, with no more precise code, ends here with its status.',
    },
  },
  WSG_UPGRADE_NOT_HANDLED: {
    kind: 'handshake',
    status: 200,
    title: 'The application answered the upgrade as an ordinary request',
    cause:
      'A middleware or route of the application answered the upgrade request itself with a success or a redirect (a static file, a page served for every path, a redirect to a login page) before it reached a WebSocket route. Its answer, 200 or any other 2xx or 3xx, is sent as it is; a WebSocket client sees a failed connection. Over HTTP/2 a 2xx would open the WebSocket (RFC 8441 §5), so a 2xx answer to an extended CONNECT is replaced by this refusal with status 404.',
    fix: 'Register the WebSocket route before middleware that answers every path (static files, a catch-all page), or exclude the WebSocket path from it; send credentials rather than relying on a redirect to a login page.',
    doctor:
      'The `upgrade` step reports the answer as WSG_RESPONSE_NOT_UPGRADED, with the Location of a redirect as the URL to try.',
    setups: {
      'Express, Koa and NestJS':
        'express.static, koa-static and a catch-all route for a single-page app answer upgrade requests too when they come first.',
      Redirects: 'WebSocket clients do not follow redirects: connect to the final URL.',
    },
  },
  WSG_ATTEMPT_UNKNOWN: {
    kind: 'handshake',
    status: 404,
    title: 'No refusal recorded for this attempt',
    cause:
      "The refusal lookup (GET /.well-known/wsgate/refusal?attempt=ID) has nothing for this id: the attempt succeeded, its record expired, or the attempt never reached this server (another instance, a proxy that answered itself, or an id that is not 16 to 64 letters, digits, '-' or '_').",
    fix: 'Look the refusal up soon after the attempt, from the instance that refused it; when nothing was recorded, probe the URL with wsgate doctor.',
    doctor:
      'The doctor reads the HTTP answer itself rather than the lookup; a lookup URL probed as a WebSocket gets this 404 at the `upgrade` step, reported as WSG_RESPONSE_NOT_FOUND.',
    setups: {
      'Several instances':
        'Each instance keeps its own journal: route the lookup to the instance that refused (sticky sessions), or give every instance a shared journal.',
    },
  },
  WSG_RESPONSE_HEADER_INVALID: {
    kind: 'handshake',
    status: 500,
    title: 'The application gave a response header that cannot be sent',
    cause:
      "A header the application set for the handshake answer (a refusal's headers, an HTTP error's headers, headers for the 101) has a name that is not an HTTP token, or a value with a line break or another control character (RFC 9110 §5.1, §5.5). Written as given, it would add header lines of its own choosing to the answer (response splitting): the handshake is answered 500 instead, as Node answers an invalid setHeader.",
    fix: 'Look at the server log for this code: its detail names the header. Do not copy request values (a query parameter, a header) into response headers without removing CR, LF and other control characters.',
    doctor:
      'The `upgrade` step reports the 500 as WSG_RESPONSE_REFUSED; the header at fault is named in the server log only.',
    setups: {
      'wsgate server':
        'The log event wsgate.handshake.refused with this code names the header in its detail (verifyUpgrade headers, UpgradeOptions.headers of handleUpgrade).',
      'Express, Koa and NestJS':
        "An HTTP error thrown before the upgrade (the headers of an http-errors error, ctx.throw with headers, a guard's challenge) whose header values come from the request ends here.",
    },
  },

  // --- protocol violations after the upgrade (RFC 6455 §7.4.1) ------------------------
  WSG_FRAME_UNMASKED: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Client frame not masked',
    cause:
      'A client sent a frame without a mask; RFC 6455 §5.1 requires every client frame to be masked.',
    fix: 'Mask every frame sent from a client with a fresh random 4-byte key; use a WebSocket client library.',
    doctor:
      'The doctor masks every frame, so a server that closes with this code received frames altered on the way; a bare 1002 from another server is explained with the frame the doctor sent just before it, in hex.',
    setups: {
      Clients:
        'Browsers and maintained libraries always mask: look at hand-written clients and embedded SDKs.',
      'Proxies and WAFs':
        'A component that inspects WebSocket frames must forward client frames masked.',
    },
  },
  WSG_FRAME_MASKED: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Server frame masked',
    cause: 'A server sent a masked frame; RFC 6455 §5.1 forbids masking from server to client.',
    fix: 'Send server frames unmasked.',
    doctor:
      'The doctor checks every frame from the server (RFC 6455 §5.1) and fails the step that read it with this code, quoting the frame.',
    setups: {
      Servers: 'Send frames unmasked: a server built from a client library may mask by mistake.',
    },
  },
  WSG_FRAME_RSV_BITS: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Reserved bits set',
    cause:
      'A frame had RSV1, RSV2 or RSV3 set without a negotiated extension that defines them (RFC 6455 §5.2), or RSV1 on a control or continuation frame (RFC 7692 §6).',
    fix: 'Only set RSV bits for a negotiated extension (RSV1 for permessage-deflate, first frame of a data message only).',
    doctor:
      'Checked on every frame from the server: RSV1 only on the first frame of a message and only when the 101 agreed to permessage-deflate.',
    setups: {
      'permessage-deflate':
        'A server that compresses without having agreed to the extension in its 101 sets RSV1 wrongly: compare with --no-deflate.',
      Proxies:
        'A proxy that removes Sec-WebSocket-Extensions from the 101 but lets compressed frames through causes exactly this.',
    },
  },
  WSG_FRAME_OPCODE_UNKNOWN: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Unknown opcode',
    cause: 'A frame used a reserved opcode (3-7 or 11-15, RFC 6455 §5.2).',
    fix: 'Use opcodes 0 (continuation), 1 (text), 2 (binary), 8 (close), 9 (ping) or 10 (pong).',
    doctor: 'Checked on every frame from the server.',
    setups: {
      Servers: 'Only opcodes 0, 1, 2, 8, 9 and 10 exist; another needs a negotiated extension.',
    },
  },
  WSG_FRAME_LENGTH_INVALID: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Invalid payload length',
    cause:
      'A 64-bit payload length had its most significant bit set (RFC 6455 §5.2), or exceeds what can be addressed.',
    fix: 'Encode payload lengths as RFC 6455 §5.2 describes.',
    doctor:
      'Checked on every frame header from the server, by the same session a wsgate server reads with: a 64-bit length with its top bit set fails the step with this code (a frame over 16 MiB, WSG_MESSAGE_TOO_BIG).',
    setups: {
      Servers:
        'Lengths up to 125 fit in the first byte; up to 65535 take 126 and 16 bits; larger take 127 and 64 bits with the top bit clear (RFC 6455 §5.2).',
    },
  },
  WSG_CONTROL_FRAME_TOO_LONG: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Control frame payload over 125 bytes',
    cause: 'A close, ping or pong frame carried more than 125 bytes (RFC 6455 §5.5).',
    fix: 'Keep ping, pong and close payloads at 125 bytes or less.',
    doctor:
      'Checked on every frame from the server: a ping, pong or close over 125 bytes fails the step.',
    setups: {
      'Close reasons': 'A close reason holds at most 123 bytes of UTF-8 (125 minus the code).',
      Pings: 'Keep ping payloads short: a counter or a timestamp.',
    },
  },
  WSG_CONTROL_FRAME_FRAGMENTED: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Fragmented control frame',
    cause:
      'A close, ping or pong frame had FIN clear; control frames must not be fragmented (RFC 6455 §5.5).',
    fix: 'Send control frames with FIN set.',
    doctor: 'Checked on every frame from the server.',
    setups: {
      Servers:
        'Send each control frame whole, with FIN set; it may come between the fragments of a message.',
    },
  },
  WSG_CONTINUATION_UNEXPECTED: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Continuation frame without a message to continue',
    cause:
      'A continuation frame (opcode 0) arrived while no fragmented message was in progress (RFC 6455 §5.4).',
    fix: 'Start a fragmented message with a text or binary frame with FIN clear, then send continuation frames.',
    doctor:
      "The doctor follows the server's fragmented messages and fails on a continuation frame outside one.",
    setups: {
      Servers: 'Start a message with opcode 1 or 2; only the fragments after the first use 0.',
    },
  },
  WSG_CONTINUATION_EXPECTED: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'New message inside a fragmented message',
    cause:
      'A text or binary frame arrived before the previous fragmented message was finished (RFC 6455 §5.4); only control frames may be interleaved.',
    fix: 'Finish a fragmented message (a continuation frame with FIN set) before starting the next one.',
    doctor:
      "The doctor follows the server's fragmented messages and fails on a new message before the last fragment.",
    setups: {
      Servers:
        'Send one message at a time: finish a fragmented message before the next (control frames may come between).',
    },
  },
  WSG_CLOSE_PAYLOAD_INVALID: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Invalid close frame payload',
    cause:
      'A close frame had a 1-byte payload; a close payload is empty or starts with a 2-byte code (RFC 6455 §5.5.1).',
    fix: 'Send an empty close frame, or a 2-byte status code followed by an optional UTF-8 reason.',
    doctor:
      "The doctor parses the server's close frame; a 1-byte payload fails the step with this code.",
    setups: {
      Servers: 'Send an empty close payload, or a 2-byte code followed by a UTF-8 reason.',
    },
  },
  WSG_CLOSE_CODE_INVALID: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Invalid close code',
    cause:
      'A close frame carried a code that may not be sent on the wire: below 1000, 1004-1006, 1015, 1016-2999 or 5000 and above (RFC 6455 §7.4).',
    fix: 'Use 1000-1003 or 1007-1014 for protocol reasons, 3000-3999 for registered libraries, 4000-4999 for your application.',
    doctor:
      "The doctor checks the code in the server's close frame: 1005, 1006 and 1015 describe closes and are never sent.",
    setups: {
      Applications: 'Close with 1000 for a normal end, and with 4000-4999 for reasons of your own.',
    },
  },
  WSG_CLOSE_REASON_INVALID_UTF8: {
    kind: 'protocol',
    closeCode: 1007,
    title: 'Close reason is not valid UTF-8',
    cause: 'The reason in a close frame is not valid UTF-8 (RFC 6455 §5.5.1).',
    fix: 'Encode close reasons as UTF-8, at most 123 bytes; do not cut a string in the middle of a character.',
    doctor: "The doctor checks the reason in the server's close frame.",
    setups: {
      Servers:
        'Cut long reasons at a character boundary: count bytes (Buffer.byteLength), not characters.',
    },
  },
  WSG_TEXT_INVALID_UTF8: {
    kind: 'protocol',
    closeCode: 1007,
    title: 'Text message is not valid UTF-8',
    cause:
      'A text message contained bytes that are not valid UTF-8 (RFC 6455 §8.1). The connection fails at the first invalid byte.',
    fix: 'Send binary messages for binary data; make sure text is encoded as UTF-8 and not split inside a character by hand-made fragmentation.',
    doctor:
      "The doctor reads the server's frames with the session a wsgate server uses, so it fails at the first invalid byte of a text message, as the bytes arrive (a fragment that never ends still fails), after inflating a compressed one, quoting the frame.",
    setups: {
      'Node servers':
        'Send binary data with binary: true; send only strings or UTF-8 bytes as text.',
      'Fragmenting by hand': 'Split text at character boundaries.',
    },
  },
  WSG_COMPRESSED_DATA_INVALID: {
    kind: 'protocol',
    closeCode: 1007,
    title: 'Compressed message cannot be inflated',
    cause:
      'A permessage-deflate message did not inflate: the DEFLATE data is corrupt, or refers back to bytes the agreed context does not hold, such as an earlier message under no_context_takeover (RFC 7692 §7.2).',
    fix: "Check the peer's permessage-deflate implementation and the negotiated context takeover parameters.",
    doctor:
      "The doctor inflates the server's compressed messages with the agreed window and context takeover (RFC 7692 §7.2) and fails on data that does not inflate, quoting its bytes.",
    setups: {
      'permessage-deflate':
        'A server that keeps its compression context after agreeing to server_no_context_takeover breaks every message after the first.',
      Proxies:
        'A proxy must not change compressed frames: retry with --no-deflate to take compression out of the picture.',
    },
  },
  WSG_POLICY_VIOLATION: {
    kind: 'protocol',
    closeCode: 1008,
    title: 'Policy violation',
    cause: 'The application closed the connection because a message broke its rules.',
    fix: "Check the application's message rules; the reason, when present, says which.",
    doctor:
      'Named in the close reason of a wsgate server (1008); a bare 1008 from another server is explained as an application rule, with the frame the doctor sent before it.',
    setups: {
      Applications:
        'Close with 1008 and a reason that names the rule ("token expired"), so that clients and the doctor can show it.',
    },
  },
  WSG_MESSAGE_MALFORMED: {
    kind: 'protocol',
    closeCode: 1008,
    title: 'Message not in the expected format',
    cause:
      'An event-based endpoint (a NestJS gateway, for one) received a message it cannot read: it is not JSON, or it has no "event" string. Such endpoints expect {"event": "name", "data": ...}.',
    fix: 'Send JSON that names an event the endpoint handles, such as {"event":"NAME","data":{}}, or give the server a message parser (messageParser) for the format the client speaks.',
    doctor:
      'Named in the close reason (1008): probe with --send in the format the endpoint expects, e.g. --send \'{"event":"NAME","data":{}}\'.',
    setups: {
      NestJS:
        'Gateways read {"event": "name", "data": ...}; another format needs a message parser on the adapter.',
    },
  },
  WSG_EVENT_UNHANDLED: {
    kind: 'protocol',
    closeCode: 1008,
    title: 'No handler for this event',
    cause:
      'The message names an event that no handler on this endpoint subscribes to (in NestJS: no @SubscribeMessage with that name in the gateways on this path). A typo, or a client newer or older than the server.',
    fix: 'Send one of the events the endpoint handles (the detail lists them), or add a handler for this event.',
    doctor: 'Named in the close reason (1008), with the events the endpoint handles in its detail.',
    setups: {
      NestJS:
        'Add @SubscribeMessage("name") to a gateway on this path, or send one of the events it handles.',
    },
  },
  WSG_MESSAGE_RATE_EXCEEDED: {
    kind: 'protocol',
    closeCode: 1008,
    title: 'Too many messages',
    cause: 'The peer sent more messages per second than the server allows (maxMessagesPerSecond).',
    fix: 'Send fewer messages (batch them), or raise maxMessagesPerSecond on the server.',
    doctor: 'Named in the close reason (1008).',
    setups: {
      Clients: 'Batch or throttle messages.',
      'wsgate server': 'maxMessagesPerSecond sets the rate.',
    },
  },
  WSG_MESSAGE_TOO_BIG: {
    kind: 'protocol',
    closeCode: 1009,
    title: 'Message too big',
    cause:
      'A message is larger than the limit (maxMessageBytes). The size is checked from the frame header before anything is buffered, and while inflating compressed messages.',
    fix: 'Send smaller messages (split large data, or use HTTP for uploads), or raise maxMessageBytes on the receiving side.',
    doctor:
      'Named in the close reason of a wsgate server (1009); for a bare 1009 from another server the doctor names the frame it sent and the limit to raise. A message from the server over 16 MiB (the default limit) fails the step with this code.',
    setups: {
      'wsgate server': 'maxMessageBytes on the server (the NestJS adapter also reads maxPayload).',
      ws: 'maxPayload (100 MiB by default).',
      nginx: 'client_max_body_size limits HTTP bodies only, not WebSocket messages.',
    },
  },
  WSG_EXTENSION_REQUIRED: {
    kind: 'protocol',
    closeCode: 1010,
    title: 'Server did not accept a required extension',
    cause:
      "The client requires an extension (e.g. permessage-deflate) that the server's 101 response did not accept (RFC 6455 §7.4.1).",
    fix: 'Enable the extension on the server, or stop requiring it on the client.',
    doctor:
      'Sent by clients only. The doctor requires no extension: a server that declines permessage-deflate is noted and the probe goes on.',
    setups: {
      Clients: 'Do not require permessage-deflate; browsers never do.',
    },
  },
  WSG_INTERNAL_ERROR: {
    kind: 'protocol',
    closeCode: 1011,
    title: 'Internal server error',
    cause:
      'An application handler threw while processing a message. The error was logged on the server; nothing of it is sent to the peer.',
    fix: 'Look at the server log for the wsgate.connection.handler_failed event and fix the handler.',
    doctor:
      "Named in the close reason of a wsgate server (1011), with the log event to look for; a bare 1011 is explained as a failure in the server's message handler.",
    setups: {
      'wsgate server':
        'The log event wsgate.connection.handler_failed carries the error and its stack.',
      'Express, Koa and NestJS':
        'An exception thrown in a message handler or a gateway method ends here.',
    },
  },
  WSG_SEND_BUFFER_FULL: {
    kind: 'protocol',
    closeCode: 1013,
    title: 'Peer does not read fast enough',
    cause:
      'More than maxBufferedBytes (16 MiB by default) waited to be sent because the peer is not reading, so the connection was closed under the "close" slow-consumer policy (the default); or the bytes waiting for all of the server\'s peers passed maxBufferedBytesTotal (256 MiB by default) and this peer held the most.',
    fix: 'Read messages promptly on the peer; on the sending side, await drained() when send() returns false, send less, choose the "drop" or "wait" policy, or raise maxBufferedBytes or maxBufferedBytesTotal.',
    doctor:
      'Named in the close reason (1013); the doctor reads everything it receives, so it sees this only when the server sends faster than the network carries.',
    setups: {
      'wsgate server':
        'slowConsumerPolicy: "drop", or "wait" with await drained() whenever send() returns false, or a larger maxBufferedBytes.',
      Clients: 'Read messages promptly; do not block the event loop for long.',
    },
  },

  // --- the end of a connection's life -------------------------------------------------
  WSG_SERVER_SHUTDOWN: {
    kind: 'lifecycle',
    closeCode: 1001,
    title: 'Server shutting down',
    cause: 'The server is shutting down (a deploy or restart) and closed every connection.',
    fix: 'Reconnect with backoff; a new instance will accept the connection.',
    doctor: 'Named in the close reason (1001) at the `echo` or `close` step.',
    setups: {
      Deploys:
        'Stop routing new connections to the instance, then close with 1001 so that clients reconnect elsewhere.',
      Clients: 'Reconnect on 1001, with backoff.',
    },
  },
  WSG_HEARTBEAT_TIMEOUT: {
    kind: 'lifecycle',
    closeCode: 1006,
    title: 'Peer stopped answering pings',
    cause:
      'No pong (or any other frame) came back within the heartbeat interval: the peer vanished, the network dropped, or the connection is half-open.',
    fix: 'Nothing on a healthy peer; reconnect from the client. If it happens often, look for idle timeouts in proxies or NAT between the two.',
    doctor:
      'Reported by a server about its peers; the doctor answers every ping at once, so it never causes this.',
    setups: {
      nginx:
        'proxy_read_timeout (60 s by default) also closes silent WebSockets: keep heartbeats more frequent than it.',
      'Cloud load balancers':
        'Idle timeouts (an AWS ALB: 60 s by default) cut silent connections: heartbeat below them.',
      'Mobile networks':
        'NAT mappings expire after minutes of silence: a ping every 20 to 30 s keeps them.',
    },
  },
  WSG_CLOSE_TIMEOUT: {
    kind: 'lifecycle',
    closeCode: 1006,
    title: 'Peer did not finish the closing handshake',
    cause:
      'A close frame was sent, and the peer neither answered it nor closed TCP within closeTimeoutMs.',
    fix: 'Answer close frames promptly on the peer; the socket was closed anyway.',
    doctor:
      'The `close` step sends close 1000 and fails with this code when no close frame comes back within --timeout-ms.',
    setups: {
      Servers: 'Answer a close frame with a close frame (RFC 6455 §5.5.1), then close TCP.',
    },
  },
  WSG_IDLE_TIMEOUT: {
    kind: 'lifecycle',
    closeCode: 1001,
    title: 'Connection idle too long',
    cause: 'Nothing was received on the connection for idleTimeoutMs.',
    fix: 'Send messages or pings more often than idleTimeoutMs, or raise it.',
    doctor:
      "Named in the close reason (1001); the doctor's exchange is short, so it sees this only under a very short idleTimeoutMs.",
    setups: {
      nginx: 'proxy_read_timeout closes idle connections too, without a close frame (1006).',
      Clients: 'Send something (an application ping) more often than the timeout.',
    },
  },
  WSG_CONNECTION_LOST: {
    kind: 'lifecycle',
    closeCode: 1006,
    title: 'Connection closed without a close frame',
    cause:
      'TCP closed without a WebSocket close frame (close code 1006): the peer crashed, a proxy timed out, or the network dropped.',
    fix: 'Reconnect with backoff. If it happens at a regular interval, a proxy idle timeout is likely: enable heartbeats.',
    doctor:
      'The `echo` or `close` step fails with this code when TCP ends without a close frame (1006), saying whether it was a FIN or a reset and what the doctor sent last.',
    setups: {
      nginx:
        'proxy_read_timeout (60 s by default) drops silent WebSockets without a close frame: raise it for WebSocket locations, or send heartbeats.',
      'Cloud load balancers': 'Idle timeouts drop silent connections: heartbeat below them.',
      Servers:
        'A process that crashes, or calls socket.destroy() instead of closing, shows as 1006 in browsers.',
    },
  },
  WSG_SERVER_STARTING: {
    kind: 'lifecycle',
    closeCode: 1013,
    title: 'Server is still starting',
    cause:
      "The connection opened before the application finished starting (in NestJS: before the gateway's providers were initialized), so it was closed at once rather than served by handlers that are not ready.",
    fix: 'Reconnect after a short delay, with backoff; send traffic to an instance only once it has started (its readiness check).',
    doctor:
      'Named in the close reason (1013) at the `echo` step: retry once the application has started.',
    setups: {
      Clients: 'Reconnect on 1013, with backoff.',
      Deploys: 'Let a readiness check hold traffic until the application has started.',
    },
  },

  // --- a client that could not connect ------------------------------------------------
  WSG_URL_INVALID: {
    kind: 'client',
    title: 'Not a WebSocket URL',
    cause:
      'The URL is not ws:// or wss:// (http:// and https:// are accepted and mapped), or it cannot be parsed.',
    fix: 'Use ws://host:port/path for plain connections and wss://host/path for TLS.',
    doctor:
      'The `url` step: http(s):// is mapped to ws(s):// with a note, a missing path is noted, and scheme typos (ws:/host, wss//host, htp://) or a missing scheme stop the doctor with exit code 2 and the URL probably meant.',
    setups: {
      'Pages served over HTTPS':
        'Use wss://: browsers block ws:// from secure pages (mixed content).',
    },
  },
  WSG_DNS_FAILED: {
    kind: 'client',
    title: 'Host name not found',
    cause: 'The host name in the URL did not resolve (DNS error).',
    fix: 'Check the spelling of the host, and that it resolves from this machine (getent hosts NAME).',
    doctor:
      "The `dns` step resolves the host name (every address) and reports the resolver's error, such as ENOTFOUND or EAI_AGAIN, with its timing.",
    setups: {
      Containers:
        'Service names (docker compose, Kubernetes) resolve only inside their network: probe from there, or use the published address.',
    },
  },
  WSG_CONNECT_REFUSED: {
    kind: 'client',
    title: 'Connection refused',
    cause: 'Nothing listens on that host and port, or a firewall actively refused it.',
    fix: 'Check the port and that the server is running and listening on that address (127.0.0.1 versus 0.0.0.0 versus ::1).',
    doctor:
      'The `tcp` step connects to the first address and reports ECONNREFUSED with that address and port.',
    setups: {
      localhost:
        'localhost may resolve to ::1 while the server listens on 127.0.0.1 only, or the reverse: listen on both, or use the address.',
      Containers:
        'A server in a container must listen on 0.0.0.0, not 127.0.0.1, for a published port to reach it.',
    },
  },
  WSG_CONNECT_TIMEOUT: {
    kind: 'client',
    title: 'Connection timed out',
    cause:
      'The TCP connection or the handshake did not complete in time: a firewall dropping packets, a wrong address, or a server that does not answer.',
    fix: 'Check network reachability and firewalls; make sure the server answers on that port.',
    doctor:
      'The `tcp` step fails with this code when no SYN-ACK comes within --timeout-ms (a firewall that drops packets, an accept queue that is full); the `upgrade` step when TCP opened but no answer came.',
    setups: {
      Firewalls:
        'Security groups and firewalls that drop rather than reject make connections hang: open the port.',
      TLS: 'A ws:// request that hangs on a TLS port: the doctor tries TLS on the same port and says to use wss:// if it answers.',
    },
  },
  WSG_H2_CONNECT_PROTOCOL_DISABLED: {
    kind: 'client',
    title: 'The HTTP/2 server does not accept WebSockets',
    cause:
      "connect() was asked for HTTP/2, but the server's SETTINGS did not enable the extended CONNECT of RFC 8441 (SETTINGS_ENABLE_CONNECT_PROTOCOL): it serves no WebSockets over HTTP/2, or a proxy in front speaks HTTP/2 without them.",
    fix: "Connect without the http2 option (an HTTP/1.1 upgrade), or attach a WebSocketServer to the server's http2 server, which enables the setting.",
    doctor:
      'The doctor opens WebSockets over HTTP/1.1 in its `upgrade` step, which every wsgate server accepts, so it does not report this; connect() with the http2 option does.',
    setups: {
      'Node http2 servers':
        'Attach the WebSocketServer with wss.attach(http2Server): it enables the setting for new sessions.',
      Proxies:
        'A proxy that terminates HTTP/2 must support RFC 8441 to pass WebSockets over it; otherwise connect over HTTP/1.1.',
    },
  },
  WSG_CONNECTION_RESET: {
    kind: 'client',
    title: 'Connection closed during the handshake',
    cause:
      'The server or a proxy closed the connection before answering the handshake. Typical: the path is not handled and the socket was destroyed, TLS sent to a plain port or the reverse, or a proxy timeout.',
    fix: 'Check the URL scheme (ws:// for plain, wss:// for TLS) and the path; look at the server and proxy logs.',
    doctor:
      'The `upgrade` step reports a connection closed or reset before any answer; for ws:// it tries a TLS handshake on the same port and, if that succeeds, says to use wss://.',
    setups: {
      Servers:
        'An upgrade handler that calls socket.destroy() closes without a status: answer with an HTTP status instead (wsgate does).',
      TLS: 'ws:// sent to a TLS port: use wss://.',
      Proxies: 'Upstream or idle timeouts in a proxy close the connection without an answer.',
    },
  },
  WSG_TLS_FAILED: {
    kind: 'client',
    title: 'TLS handshake failed',
    cause:
      'The TLS connection failed: the certificate is expired, self-signed, for another host name, or from an untrusted authority; or the port does not speak TLS.',
    fix: 'Fix the certificate on the server, or trust its CA on the client (ca option). Use ws:// for a plain port.',
    doctor:
      'The `tls` step verifies the chain and the host name itself, so that it can show the certificate (subject, issuer, dates, names, fingerprint) with the verdict: CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, SELF_SIGNED_CERT_IN_CHAIN, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_TLS_CERT_ALTNAME_INVALID. --ca FILE trusts a private CA. A plain port probed with wss:// is reported as such.',
    setups: {
      nginx:
        "ssl_certificate must name the full chain (fullchain.pem from Let's Encrypt), not the certificate alone.",
      "Let's Encrypt":
        'An expired certificate means the renewal job stopped: renew, then reload the server.',
      'Private CAs':
        'Node clients: NODE_EXTRA_CA_CERTS=ca.pem or the ca option; the doctor: --ca ca.pem.',
      'Host names':
        'The name in the URL must be in the subjectAltName (the common name alone is ignored); an IP address needs an IP entry.',
    },
  },
  WSG_RESPONSE_NOT_FOUND: {
    kind: 'client',
    answers: { from: 404, to: 404 },
    title: 'Server answered 404: no WebSocket endpoint at this path',
    cause:
      'The server has no handler for the path, or a proxy or router in front of it does not route it.',
    fix: "Check the path (prefixes, trailing slash) against the server's WebSocket routes.",
    doctor:
      'The `upgrade` step: a 404, with the code and detail a wsgate server gives, a note when the answer is an HTML page, and the paths the server lists, if it lists any.',
    setups: {
      nginx:
        'proxy_pass http://backend/; (with a path) replaces the matched location prefix; proxy_pass http://backend; (without) keeps it: make the backend route match what arrives.',
      'Trailing slashes': '/chat and /chat/ are different paths.',
    },
  },
  WSG_RESPONSE_UPGRADE_REQUIRED: {
    kind: 'client',
    answers: { from: 426, to: 426 },
    title: 'Server answered 426 Upgrade Required',
    cause:
      'The server wants another WebSocket version (see its Sec-WebSocket-Version header), or the upgrade headers did not reach it.',
    fix: 'Make sure every proxy forwards Upgrade and Connection over HTTP/1.1; if the server asks for another Sec-WebSocket-Version, it implements an obsolete draft: upgrade it to RFC 6455 (version 13).',
    doctor:
      'A 426 fails the `version` step when the server wants another Sec-WebSocket-Version; otherwise the `upgrade` step reads it as Upgrade and Connection lost on the way, naming the proxy when its headers show one.',
    setups: {
      nginx:
        'In the location that proxies the WebSocket path: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"; (nginx forwards neither header otherwise).',
      'Apache httpd':
        'mod_proxy_wstunnel, or upgrade=websocket on the ProxyPass line (2.4.47 and later).',
    },
  },
  WSG_RESPONSE_NOT_UPGRADED: {
    kind: 'client',
    answers: { from: 100, to: 399 },
    title: 'Server answered with plain HTTP instead of 101',
    cause:
      'The request was served as ordinary HTTP (a 200 or a redirect): usually a proxy that drops Upgrade and Connection, or a route that is not a WebSocket route.',
    fix: 'Configure the proxy to forward Upgrade and Connection (HTTP/1.1), and check that the path is a WebSocket route. Follow a redirect by hand to the right URL.',
    doctor:
      'The `upgrade` step: a 200 or a redirect, with which of Upgrade, Connection and Sec-WebSocket-Accept were missing on the way back, the proxy if one shows, and for a redirect its Location as the URL to try (to https: use wss://; to a login page: send credentials).',
    setups: {
      nginx:
        'In the location that proxies the WebSocket path: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"; (nginx forwards neither header otherwise).',
      'CDNs and static hosting':
        'A CDN or static host that serves the page itself must route the WebSocket path to the application.',
      Redirects:
        'WebSocket clients do not follow redirects: connect to the final URL (often wss://, or with a trailing slash).',
    },
  },
  WSG_RESPONSE_REFUSED: {
    kind: 'client',
    answers: { from: 400, to: 999 },
    title: 'Server refused the handshake',
    cause:
      'The server answered with an HTTP error status instead of 101. Its X-WSGate-Error header or body, when present, names the exact reason.',
    fix: 'Read the status and body in the detail; a wsgate server names the code and its fix.',
    doctor:
      'The `upgrade` step for 400, 401, 403, 405, 429, 500, 502, 503, 504 and other errors: the status line, headers and body as received; the header a 400 objects to; WWW-Authenticate; Origin against authentication for 403; Allow; Retry-After; the proxy for 502 and 504.',
    setups: {
      nginx:
        '502: the upstream is down or on another port (error.log: connect() failed); 504: proxy_connect_timeout or proxy_read_timeout shorter than the upstream needs.',
      Origin: 'Retry with --origin https://your.site to see whether the Origin check refused it.',
      Authentication: "Retry with --header 'Authorization: Bearer …' or --header 'Cookie: …'.",
    },
  },
  WSG_ACCEPT_MISMATCH: {
    kind: 'client',
    title: 'Sec-WebSocket-Accept does not match the key',
    cause:
      'The 101 response carried a missing or wrong Sec-WebSocket-Accept (RFC 6455 §4.2.2): a broken server, or a proxy or cache answering in its place.',
    fix: "Check the server's handshake code and any caching proxy in between.",
    doctor:
      'The `version` step computes Sec-WebSocket-Accept from the key it sent and shows the expected and the received value.',
    setups: {
      'Caching proxies and CDNs':
        'Never cache upgrade responses: a cached 101 carries the accept value of another key.',
      'Hand-written servers':
        'base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), the key as received, trimmed.',
    },
  },
  WSG_RESPONSE_SUBPROTOCOL_UNOFFERED: {
    kind: 'client',
    title: 'Server chose a subprotocol that was not offered',
    cause:
      'The 101 response named a Sec-WebSocket-Protocol the client did not offer (RFC 6455 §4.1), or one when none was offered.',
    fix: 'Fix the server to choose only from the offered subprotocols.',
    doctor:
      'The `subprotocol` step compares the Sec-WebSocket-Protocol of the 101 with what the doctor offered (--protocol).',
    setups: {
      ws: 'handleProtocols must return one of the offered protocols, or false.',
      'wsgate server': 'subprotocols lists what it may choose; it picks only from the offer.',
    },
  },
  WSG_RESPONSE_EXTENSION_UNOFFERED: {
    kind: 'client',
    title: 'Server accepted an extension that was not offered',
    cause:
      'The 101 response named an extension or parameter the client did not offer, a parameter with an invalid value or twice, or the same extension twice (RFC 6455 §4.1, RFC 7692 §7.1).',
    fix: "Fix the server's extension negotiation.",
    doctor:
      'The `extensions` step checks that the 101 accepts only permessage-deflate (offered unless --no-deflate), with parameters that fit the offer (RFC 7692 §7.1).',
    setups: {
      Proxies:
        'A proxy that removes Sec-WebSocket-Extensions from requests must remove it from responses too: forward both, or neither.',
    },
  },
  WSG_RESPONSE_MALFORMED: {
    kind: 'client',
    answers: { from: 0, to: 99 },
    title: "The server's answer is not valid HTTP",
    cause:
      'The bytes that came back are not an HTTP/1.1 response head: perhaps the port speaks another protocol, or TLS where plain HTTP was expected.',
    fix: 'Check the port and scheme (ws:// versus wss://).',
    doctor:
      "The `upgrade` step, when the answer is not HTTP: the first bytes in hex and as text, a TLS record (use wss://), another protocol's greeting, or an invalid head with the parser's reason.",
    setups: {
      TLS: 'ws:// to a TLS port gets a TLS alert back: use wss://.',
      Ports: 'A database or SSH port answers with its own greeting: check the port.',
    },
  },
  WSG_REPLY_TIMEOUT: {
    kind: 'client',
    title: 'No reply after the handshake',
    cause:
      'The connection opened, but the server answered neither a ping with a pong (RFC 6455 §5.5.2) nor a message with a reply within the time limit: a server that ignores pings, an endpoint that does not answer that message, or a proxy that holds frames back.',
    fix: 'Check that the server answers pings (every RFC 6455 server must) and what it sends back for this message; raise the timeout if the server is slow on purpose.',
    doctor:
      'The `echo` step: without --send, a ping must come back as a pong within --timeout-ms; with --send, a reply message.',
    setups: {
      Proxies:
        'nginx does not buffer upgraded connections, but some API gateways and managed WebSocket services hold or queue frames.',
      'Endpoints that are not echoes':
        'An endpoint that answers only some messages: --send one of them, or leave --send out to check with a ping.',
    },
  },
  WSG_CLOSE_UNEXPECTED: {
    kind: 'client',
    title: 'Server closed the connection during the exchange',
    cause:
      'After the handshake, the server sent a close frame before the exchange was over, or with an error code: 1002 protocol error, 1003 unsupported data, 1007 invalid data, 1008 policy, 1009 too big, 1011 server error, 4000-4999 application codes.',
    fix: 'Read the close code and reason in the detail: a reason that starts with a WSG_ code names the exact rule. For 1002, check the frame sent just before the close.',
    doctor:
      'The `echo` or `close` step: the close code explained (RFC 6455 §7.4.1) with its reason, the frame the doctor sent just before and its bytes, and the wsgate codes that close with the same code.',
    setups: {
      '1002':
        'Capture the exchange with --capture FILE and open it in Wireshark, or tshark -d tcp.port==PORT,http -Y websocket, to see each frame.',
      '1008 and 4000-4999':
        "The application's rules: the reason and the application's documentation say which.",
    },
  },

  // --- starting a server --------------------------------------------------------------
  WSG_LISTEN_FAILED: {
    kind: 'server',
    title: 'Cannot listen on the port',
    cause:
      'A server could not listen on the port it was given: another process holds it (EADDRINUSE), the port needs privileges (EACCES), or the host address is not one of this machine (EADDRNOTAVAIL).',
    fix: "Stop whatever holds the port or choose another one; the error's detail names the port and the system's reason.",
    doctor:
      'The doctor probes endpoints from outside: a port nobody listens on is its WSG_CONNECT_REFUSED at the `tcp` step.',
    setups: {
      NestJS:
        'A gateway with a port of its own listens while the application initializes: app.init() and app.listen() reject with this code.',
      'Find the holder': 'lsof -iTCP:PORT -sTCP:LISTEN, or ss -ltnp, names the process.',
    },
  },
  WSG_FRAMEWORK_UNSUPPORTED: {
    kind: 'server',
    title: 'Framework version not supported by the adapter',
    cause:
      'A framework adapter could not find a part of the framework it relies on: a version the adapter does not know changed or removed it.',
    fix: "Use a framework version within the adapter's peerDependencies, or update the adapter; the detail names what was missing.",
    doctor:
      'Raised when the application starts; the doctor, which probes from outside, never sees it.',
    setups: {
      NestJS:
        "@wsgate/nestjs finds the gateways through Nest's module container and the metadata @WebSocketGateway sets, to guard their handleConnection and handleDisconnect: app.init() rejects with this code when a Nest version moved them.",
    },
  },

  // --- topics and the backplane that carries them -------------------------------------
  WSG_TOPIC_INVALID: {
    kind: 'topic',
    title: 'Not a valid topic name',
    cause:
      'A topic name must be a string of 1 to 128 characters; it was missing, empty, too long or not a string. Topics are exact strings: no patterns or wildcards.',
    fix: 'Send a topic name of 1 to 128 characters, compared exactly; put structure in the name itself (such as rooms.42) rather than in wildcards.',
    doctor:
      'The doctor does not subscribe to topics; the application reports this code to the client that sent the name, and the connection stays open.',
    setups: {
      Clients:
        'Check the topic before sending it: a JSON null, a number or an empty string is not a topic.',
    },
  },
  WSG_BACKPLANE_UNAVAILABLE: {
    kind: 'topic',
    title: 'The topic backplane cannot be reached',
    cause:
      'The store that carries topics between processes (Redis, for a cluster of several processes) refused the connection, is down, or dropped the connection; a message published meanwhile was not stored, and may not have been delivered.',
    fix: 'Check that the backplane server runs and is reachable at the configured URL (redis-cli -u URL ping); the backplane reconnects by itself, so publish again once it is back.',
    doctor:
      'The doctor talks to the WebSocket server, not to its backplane; the server reports this code to clients that publish or subscribe while the backplane is down, and its connections stay open.',
    setups: {
      Redis:
        'redis-cli -u URL ping answers PONG when Redis is up; check the host, port, password and TLS (rediss://) in the URL, and that a firewall lets the application reach it.',
      Containers:
        'Inside a container, 127.0.0.1 is the container itself: use the Redis service name (redis://redis:6379) or the published address.',
    },
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof entries;

type CodeOf<Shape> = {
  [Code in ErrorCode]: (typeof entries)[Code] extends Shape ? Code : never;
}[ErrorCode];

/** Codes the server refuses a handshake with: each has an HTTP status. */
export type HandshakeCode = CodeOf<{ readonly kind: 'handshake' }>;
/** Codes a connection is closed with (protocol faults and lifecycle ends): each has a close code. */
export type ClosingCode = CodeOf<{ readonly kind: 'protocol' | 'lifecycle' }>;
/** Codes of a client that could not connect. */
export type ClientCode = CodeOf<{ readonly kind: 'client' }>;
/** Codes of a server or adapter that could not start. */
export type ServerCode = CodeOf<{ readonly kind: 'server' }>;
/** Codes of a topic operation that failed. */
export type TopicCode = CodeOf<{ readonly kind: 'topic' }>;
/** The handshake codes whose catalogue status is `Status`. */
export type HandshakeCodeWithStatus<Status extends number> = CodeOf<{
  readonly kind: 'handshake';
  readonly status: Status;
}>;

/** The entry of each code, typed by its kind. */
export type CatalogueOf<Code extends ErrorCode> = Code extends HandshakeCode
  ? HandshakeEntry
  : Code extends ClosingCode
    ? ClosingEntry
    : Code extends ClientCode
      ? ClientEntry
      : ApplicationEntry;

/** Every catalogue entry, keyed by its stable code. */
export const catalogue: { readonly [Code in ErrorCode]: CatalogueOf<Code> } = entries;

export const errorCodes = Object.keys(entries) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(entries, value);
}

export function isHandshakeCode(value: unknown): value is HandshakeCode {
  return isErrorCode(value) && catalogue[value].kind === 'handshake';
}

export function isClosingCode(value: unknown): value is ClosingCode {
  if (!isErrorCode(value)) return false;
  const kind = catalogue[value].kind;
  return kind === 'protocol' || kind === 'lifecycle';
}
