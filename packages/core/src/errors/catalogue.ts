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
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

export interface CatalogueEntry {
  readonly kind: ErrorKind;
  /** HTTP status of the refusal, for handshake errors. */
  readonly status?: number;
  /** Headers the status requires (RFC 7231, RFC 6455 §4.4). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Close code sent to the peer (RFC 6455 §7.4.1), for errors after the upgrade. */
  readonly closeCode?: number;
  /** One line saying what went wrong. */
  readonly title: string;
  /** The likely cause, written for the person reading the log or the page. */
  readonly cause: string;
  /** What to do about it. */
  readonly fix: string;
}

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
  },
  WSG_VERSION_UNSUPPORTED: {
    kind: 'handshake',
    status: 426,
    headers: { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' },
    title: 'Unsupported WebSocket version',
    cause:
      'The request asked for a Sec-WebSocket-Version other than 13, or sent none. Version 13 (RFC 6455) is the only standard version; older drafts (8, hybi-00) are obsolete.',
    fix: 'Send "Sec-WebSocket-Version: 13". Every current browser and maintained client library does; upgrade an old client library.',
  },
  WSG_METHOD_NOT_ALLOWED: {
    kind: 'handshake',
    status: 405,
    headers: { Allow: 'GET' },
    title: 'The WebSocket handshake must be a GET',
    cause: 'The upgrade request used another method than GET (RFC 6455 §4.1).',
    fix: 'Open the connection with a WebSocket client, which always sends GET; do not POST to a WebSocket URL.',
  },
  WSG_HTTP_VERSION_UNSUPPORTED: {
    kind: 'handshake',
    status: 505,
    title: 'The WebSocket handshake needs HTTP/1.1',
    cause:
      'The request was HTTP/1.0 (or older). RFC 6455 §4.1 requires HTTP/1.1 or later; a proxy that downgrades to HTTP/1.0 also drops the upgrade.',
    fix: 'Send the request as HTTP/1.1. Behind nginx, set "proxy_http_version 1.1;" in the location that proxies WebSockets.',
  },
  WSG_HOST_MISSING: {
    kind: 'handshake',
    status: 400,
    title: 'The Host header is missing',
    cause: 'HTTP/1.1 requests must carry a Host header (RFC 6455 §4.1, RFC 7230 §5.4).',
    fix: 'Send a Host header; a hand-written client or a misconfigured proxy usually left it out.',
  },
  WSG_UPGRADE_TOKEN_MISSING: {
    kind: 'handshake',
    status: 400,
    title: 'The Upgrade header does not name websocket',
    cause:
      'The request has an Upgrade header, but without the "websocket" token (RFC 6455 §4.2.1): it asks to switch to another protocol.',
    fix: 'Send "Upgrade: websocket". If a proxy rewrites Upgrade, pass the client\'s value through ($http_upgrade in nginx).',
  },
  WSG_CONNECTION_TOKEN_MISSING: {
    kind: 'handshake',
    status: 400,
    title: 'The Connection header does not contain "upgrade"',
    cause:
      'The request asks for "Upgrade: websocket" but its Connection header lacks the "upgrade" token (RFC 6455 §4.2.1). A proxy that does not forward hop-by-hop headers causes exactly this.',
    fix: 'Send "Connection: Upgrade" (a list such as "keep-alive, Upgrade" is fine). Behind nginx: proxy_set_header Connection "upgrade".',
  },
  WSG_KEY_MISSING: {
    kind: 'handshake',
    status: 400,
    title: 'Sec-WebSocket-Key is missing',
    cause: 'The request has no Sec-WebSocket-Key header (RFC 6455 §4.1), or a proxy removed it.',
    fix: 'Send a Sec-WebSocket-Key: the base64 encoding of 16 random bytes, new for each connection. Use a WebSocket client library rather than hand-written requests.',
  },
  WSG_KEY_INVALID: {
    kind: 'handshake',
    status: 400,
    title: 'Sec-WebSocket-Key is not base64 of 16 bytes',
    cause:
      'The Sec-WebSocket-Key header is present but is not the base64 encoding of exactly 16 bytes (24 characters ending in "=="), or it was sent twice.',
    fix: 'Generate the key as base64 of 16 random bytes, once per connection (RFC 6455 §4.1).',
  },
  WSG_EXTENSIONS_MALFORMED: {
    kind: 'handshake',
    status: 400,
    title: 'Sec-WebSocket-Extensions cannot be parsed',
    cause:
      'The Sec-WebSocket-Extensions header does not follow the grammar of RFC 6455 §9.1, or an offer repeats or misuses a parameter (RFC 7692 §7).',
    fix: 'Send extension offers as "name; param=value, name2". Let the client library build this header.',
  },
  WSG_SUBPROTOCOLS_MALFORMED: {
    kind: 'handshake',
    status: 400,
    title: 'Sec-WebSocket-Protocol cannot be parsed',
    cause:
      'The Sec-WebSocket-Protocol header is not a comma-separated list of tokens (RFC 6455 §4.1).',
    fix: 'Offer subprotocols as tokens, e.g. "chat.v2, chat.v1".',
  },
  WSG_SUBPROTOCOL_REQUIRED: {
    kind: 'handshake',
    status: 400,
    title: 'No offered subprotocol is supported',
    cause:
      'This endpoint requires a subprotocol, and the client offered none that the server supports.',
    fix: 'Offer one of the subprotocols the server lists in the detail, e.g. new WebSocket(url, ["chat.v2"]).',
  },
  WSG_REQUEST_MALFORMED: {
    kind: 'handshake',
    status: 400,
    title: 'The HTTP request is malformed',
    cause:
      'The bytes received are not a valid HTTP/1.1 request head: a bad request line, a header without a colon, invalid characters, or a folded header.',
    fix: 'Check what the client or proxy sends; a raw TCP client that does not speak HTTP or TLS sent to a plain port also shows this.',
  },
  WSG_HEADERS_TOO_LARGE: {
    kind: 'handshake',
    status: 431,
    title: 'Request headers are too large',
    cause:
      'The request head is larger than the server allows, or has too many header lines. Large cookies are the usual cause.',
    fix: 'Send fewer or smaller headers (trim cookies for this host), or raise maxHeaderBytes / maxHeaderCount on the server.',
  },
  WSG_PATH_NOT_FOUND: {
    kind: 'handshake',
    status: 404,
    title: 'No WebSocket endpoint at this path',
    cause:
      'The server has no WebSocket route for the requested path. Typical causes: a typo, a missing prefix added by a proxy or router, or a trailing slash.',
    fix: 'Connect to a path the server serves (the detail lists them where the server allows), or register a WebSocket route for this path.',
  },
  WSG_ORIGIN_REFUSED: {
    kind: 'handshake',
    status: 403,
    title: 'Origin not allowed',
    cause:
      "The Origin header of the request is not on the server's allow-list. Browsers send the page's origin; cross-site WebSocket hijacking is prevented this way.",
    fix: 'Open the page from an allowed origin, or add this origin to the allow-list (the demo apps read ALLOWED_ORIGINS). Compare scheme, host and port exactly.',
  },
  WSG_AUTH_REQUIRED: {
    kind: 'handshake',
    status: 401,
    title: 'Authentication required',
    cause:
      'The application requires credentials for this WebSocket endpoint and the request had none, or they were invalid.',
    fix: 'Send credentials the application accepts (a cookie, a token in the query string, or an Authorization header for non-browser clients).',
  },
  WSG_FORBIDDEN: {
    kind: 'handshake',
    status: 403,
    title: 'Handshake refused by the application',
    cause: 'An application hook or guard refused this handshake.',
    fix: "Check the application's access rules for this endpoint; the detail, when present, says which rule refused.",
  },
  WSG_TOO_MANY_CONNECTIONS: {
    kind: 'handshake',
    status: 503,
    headers: { 'Retry-After': '5' },
    title: 'Too many connections',
    cause: 'The server is at its maximum number of WebSocket connections (maxConnections).',
    fix: 'Retry after the delay in Retry-After with backoff, or raise maxConnections / add capacity.',
  },
  WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT: {
    kind: 'handshake',
    status: 503,
    headers: { 'Retry-After': '5' },
    title: 'Too many connections from this address',
    cause:
      'This client address already holds the maximum number of connections (maxConnectionsPerAddress).',
    fix: 'Close unused connections (one per tab is typical), or raise maxConnectionsPerAddress. Behind a proxy, make sure the real client address is used.',
  },
  WSG_SERVER_SHUTTING_DOWN: {
    kind: 'handshake',
    status: 503,
    headers: { 'Retry-After': '1' },
    title: 'Server is shutting down',
    cause: 'The server is closing and accepts no new connections.',
    fix: 'Reconnect after Retry-After; another instance usually takes over during a deploy.',
  },
  WSG_HANDSHAKE_TIMEOUT: {
    kind: 'handshake',
    status: 408,
    title: 'Handshake too slow',
    cause:
      'The complete request head did not arrive within the handshake timeout. Slowloris-style clients, a stalled proxy, or a client that opened TCP and sent nothing cause this.',
    fix: 'Send the whole request head promptly; raise handshakeTimeoutMs only if clients are legitimately slow.',
  },
  WSG_HOOK_FAILED: {
    kind: 'handshake',
    status: 500,
    title: 'Server error during the handshake',
    cause:
      'An application hook threw while handling the handshake. The error was logged on the server; nothing of it is sent to the client.',
    fix: 'Look at the server log for the wsgate.handshake.hook_failed event and fix the hook.',
  },

  // --- protocol violations after the upgrade (RFC 6455 §7.4.1) ------------------------
  WSG_FRAME_UNMASKED: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Client frame not masked',
    cause:
      'A client sent a frame without a mask; RFC 6455 §5.1 requires every client frame to be masked.',
    fix: 'Mask every frame sent from a client with a fresh random 4-byte key; use a WebSocket client library.',
  },
  WSG_FRAME_MASKED: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Server frame masked',
    cause: 'A server sent a masked frame; RFC 6455 §5.1 forbids masking from server to client.',
    fix: 'Send server frames unmasked.',
  },
  WSG_FRAME_RSV_BITS: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Reserved bits set',
    cause:
      'A frame had RSV1, RSV2 or RSV3 set without a negotiated extension that defines them (RFC 6455 §5.2), or RSV1 on a control or continuation frame (RFC 7692 §6).',
    fix: 'Only set RSV bits for a negotiated extension (RSV1 for permessage-deflate, first frame of a data message only).',
  },
  WSG_FRAME_OPCODE_UNKNOWN: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Unknown opcode',
    cause: 'A frame used a reserved opcode (3-7 or 11-15, RFC 6455 §5.2).',
    fix: 'Use opcodes 0 (continuation), 1 (text), 2 (binary), 8 (close), 9 (ping) or 10 (pong).',
  },
  WSG_FRAME_LENGTH_INVALID: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Invalid payload length',
    cause:
      'A 64-bit payload length had its most significant bit set (RFC 6455 §5.2), or exceeds what can be addressed.',
    fix: 'Encode payload lengths as RFC 6455 §5.2 describes.',
  },
  WSG_CONTROL_FRAME_TOO_LONG: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Control frame payload over 125 bytes',
    cause: 'A close, ping or pong frame carried more than 125 bytes (RFC 6455 §5.5).',
    fix: 'Keep ping, pong and close payloads at 125 bytes or less.',
  },
  WSG_CONTROL_FRAME_FRAGMENTED: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Fragmented control frame',
    cause:
      'A close, ping or pong frame had FIN clear; control frames must not be fragmented (RFC 6455 §5.5).',
    fix: 'Send control frames with FIN set.',
  },
  WSG_CONTINUATION_UNEXPECTED: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Continuation frame without a message to continue',
    cause:
      'A continuation frame (opcode 0) arrived while no fragmented message was in progress (RFC 6455 §5.4).',
    fix: 'Start a fragmented message with a text or binary frame with FIN clear, then send continuation frames.',
  },
  WSG_CONTINUATION_EXPECTED: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'New message inside a fragmented message',
    cause:
      'A text or binary frame arrived before the previous fragmented message was finished (RFC 6455 §5.4); only control frames may be interleaved.',
    fix: 'Finish a fragmented message (a continuation frame with FIN set) before starting the next one.',
  },
  WSG_CLOSE_PAYLOAD_INVALID: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Invalid close frame payload',
    cause:
      'A close frame had a 1-byte payload; a close payload is empty or starts with a 2-byte code (RFC 6455 §5.5.1).',
    fix: 'Send an empty close frame, or a 2-byte status code followed by an optional UTF-8 reason.',
  },
  WSG_CLOSE_CODE_INVALID: {
    kind: 'protocol',
    closeCode: 1002,
    title: 'Invalid close code',
    cause:
      'A close frame carried a code that may not be sent on the wire: below 1000, 1004-1006, 1015, 1016-2999 or 5000 and above (RFC 6455 §7.4).',
    fix: 'Use 1000-1003 or 1007-1014 for protocol reasons, 3000-3999 for registered libraries, 4000-4999 for your application.',
  },
  WSG_CLOSE_REASON_INVALID_UTF8: {
    kind: 'protocol',
    closeCode: 1007,
    title: 'Close reason is not valid UTF-8',
    cause: 'The reason in a close frame is not valid UTF-8 (RFC 6455 §5.5.1).',
    fix: 'Encode close reasons as UTF-8, at most 123 bytes; do not cut a string in the middle of a character.',
  },
  WSG_TEXT_INVALID_UTF8: {
    kind: 'protocol',
    closeCode: 1007,
    title: 'Text message is not valid UTF-8',
    cause:
      'A text message contained bytes that are not valid UTF-8 (RFC 6455 §8.1). The connection fails at the first invalid byte.',
    fix: 'Send binary messages for binary data; make sure text is encoded as UTF-8 and not split inside a character by hand-made fragmentation.',
  },
  WSG_COMPRESSED_DATA_INVALID: {
    kind: 'protocol',
    closeCode: 1007,
    title: 'Compressed message cannot be inflated',
    cause:
      'A permessage-deflate message did not inflate: the DEFLATE data is corrupt or uses a window larger than negotiated (RFC 7692 §8).',
    fix: "Check the peer's permessage-deflate implementation and the negotiated window bits.",
  },
  WSG_POLICY_VIOLATION: {
    kind: 'protocol',
    closeCode: 1008,
    title: 'Policy violation',
    cause: 'The application closed the connection because a message broke its rules.',
    fix: "Check the application's message rules; the reason, when present, says which.",
  },
  WSG_MESSAGE_MALFORMED: {
    kind: 'protocol',
    closeCode: 1008,
    title: 'Message not in the expected format',
    cause:
      'An event-based endpoint (a NestJS gateway, for one) received a message it cannot read: it is not JSON, or it has no "event" string. Such endpoints expect {"event": "name", "data": ...}.',
    fix: 'Send JSON such as {"event":"join","data":{"name":"Ada"}}, or give the server a message parser for the format the client speaks.',
  },
  WSG_EVENT_UNHANDLED: {
    kind: 'protocol',
    closeCode: 1008,
    title: 'No handler for this event',
    cause:
      'The message names an event that no handler on this endpoint subscribes to (in NestJS: no @SubscribeMessage with that name in the gateways on this path). A typo, or a client newer or older than the server.',
    fix: 'Send one of the events the endpoint handles (the detail lists them), or add a handler for this event.',
  },
  WSG_MESSAGE_RATE_EXCEEDED: {
    kind: 'protocol',
    closeCode: 1008,
    title: 'Too many messages',
    cause: 'The peer sent more messages per second than the server allows (maxMessagesPerSecond).',
    fix: 'Send fewer messages (batch them), or raise maxMessagesPerSecond on the server.',
  },
  WSG_MESSAGE_TOO_BIG: {
    kind: 'protocol',
    closeCode: 1009,
    title: 'Message too big',
    cause:
      'A message is larger than the limit (maxMessageBytes). The size is checked from the frame header before anything is buffered, and while inflating compressed messages.',
    fix: 'Send smaller messages (split large data, or use HTTP for uploads), or raise maxMessageBytes on the receiving side.',
  },
  WSG_EXTENSION_REQUIRED: {
    kind: 'protocol',
    closeCode: 1010,
    title: 'Server did not accept a required extension',
    cause:
      "The client requires an extension (e.g. permessage-deflate) that the server's 101 response did not accept (RFC 6455 §7.4.1).",
    fix: 'Enable the extension on the server, or stop requiring it on the client.',
  },
  WSG_INTERNAL_ERROR: {
    kind: 'protocol',
    closeCode: 1011,
    title: 'Internal server error',
    cause:
      'An application handler threw while processing a message. The error was logged on the server; nothing of it is sent to the peer.',
    fix: 'Look at the server log for the wsgate.connection.handler_failed event and fix the handler.',
  },
  WSG_SEND_BUFFER_FULL: {
    kind: 'protocol',
    closeCode: 1013,
    title: 'Peer does not read fast enough',
    cause:
      'More than maxBufferedBytes waited to be sent because the peer is not reading, so the connection was closed under the "close" slow-consumer policy.',
    fix: 'Read messages promptly on the client; on the server, send less, or choose the "wait" or "drop" policy, or raise maxBufferedBytes.',
  },

  // --- the end of a connection's life -------------------------------------------------
  WSG_SERVER_SHUTDOWN: {
    kind: 'lifecycle',
    closeCode: 1001,
    title: 'Server shutting down',
    cause: 'The server is shutting down (a deploy or restart) and closed every connection.',
    fix: 'Reconnect with backoff; a new instance will accept the connection.',
  },
  WSG_HEARTBEAT_TIMEOUT: {
    kind: 'lifecycle',
    closeCode: 1006,
    title: 'Peer stopped answering pings',
    cause:
      'No pong (or any other frame) came back within the heartbeat interval: the peer vanished, the network dropped, or the connection is half-open.',
    fix: 'Nothing on a healthy peer; reconnect from the client. If it happens often, look for idle timeouts in proxies or NAT between the two.',
  },
  WSG_CLOSE_TIMEOUT: {
    kind: 'lifecycle',
    closeCode: 1006,
    title: 'Peer did not finish the closing handshake',
    cause:
      'A close frame was sent, and the peer neither answered it nor closed TCP within closeTimeoutMs.',
    fix: 'Answer close frames promptly on the peer; the socket was closed anyway.',
  },
  WSG_IDLE_TIMEOUT: {
    kind: 'lifecycle',
    closeCode: 1001,
    title: 'Connection idle too long',
    cause: 'Nothing was received on the connection for idleTimeoutMs.',
    fix: 'Send messages or pings more often than idleTimeoutMs, or raise it.',
  },
  WSG_CONNECTION_LOST: {
    kind: 'lifecycle',
    closeCode: 1006,
    title: 'Connection closed without a close frame',
    cause:
      'TCP closed without a WebSocket close frame (close code 1006): the peer crashed, a proxy timed out, or the network dropped.',
    fix: 'Reconnect with backoff. If it happens at a regular interval, a proxy idle timeout is likely: enable heartbeats.',
  },

  // --- a client that could not connect ------------------------------------------------
  WSG_URL_INVALID: {
    kind: 'client',
    title: 'Not a WebSocket URL',
    cause:
      'The URL is not ws:// or wss:// (http:// and https:// are accepted and mapped), or it cannot be parsed.',
    fix: 'Use ws://host:port/path for plain connections and wss://host/path for TLS.',
  },
  WSG_DNS_FAILED: {
    kind: 'client',
    title: 'Host name not found',
    cause: 'The host name in the URL did not resolve (DNS error).',
    fix: 'Check the spelling of the host, and that it resolves from this machine (getent hosts NAME).',
  },
  WSG_CONNECT_REFUSED: {
    kind: 'client',
    title: 'Connection refused',
    cause: 'Nothing listens on that host and port, or a firewall actively refused it.',
    fix: 'Check the port and that the server is running and listening on that address (127.0.0.1 versus 0.0.0.0 versus ::1).',
  },
  WSG_CONNECT_TIMEOUT: {
    kind: 'client',
    title: 'Connection timed out',
    cause:
      'The TCP connection or the handshake did not complete in time: a firewall dropping packets, a wrong address, or a server that does not answer.',
    fix: 'Check network reachability and firewalls; make sure the server answers on that port.',
  },
  WSG_CONNECTION_RESET: {
    kind: 'client',
    title: 'Connection closed during the handshake',
    cause:
      'The server or a proxy closed the connection before answering the handshake. Typical: the path is not handled and the socket was destroyed, TLS sent to a plain port or the reverse, or a proxy timeout.',
    fix: 'Check the URL scheme (ws:// for plain, wss:// for TLS) and the path; look at the server and proxy logs.',
  },
  WSG_TLS_FAILED: {
    kind: 'client',
    title: 'TLS handshake failed',
    cause:
      'The TLS connection failed: the certificate is expired, self-signed, for another host name, or from an untrusted authority; or the port does not speak TLS.',
    fix: 'Fix the certificate on the server, or trust its CA on the client (ca option). Use ws:// for a plain port.',
  },
  WSG_RESPONSE_NOT_FOUND: {
    kind: 'client',
    title: 'Server answered 404: no WebSocket endpoint at this path',
    cause:
      'The server has no handler for the path, or a proxy or router in front of it does not route it.',
    fix: "Check the path (prefixes, trailing slash) against the server's WebSocket routes.",
  },
  WSG_RESPONSE_UPGRADE_REQUIRED: {
    kind: 'client',
    title: 'Server answered 426 Upgrade Required',
    cause:
      'The server wants another WebSocket version (see its Sec-WebSocket-Version header), or the upgrade headers did not reach it.',
    fix: 'Send Sec-WebSocket-Version: 13; make sure proxies forward Upgrade and Connection.',
  },
  WSG_RESPONSE_NOT_UPGRADED: {
    kind: 'client',
    title: 'Server answered with plain HTTP instead of 101',
    cause:
      'The request was served as ordinary HTTP (a 200 or a redirect): usually a proxy that drops Upgrade and Connection, or a route that is not a WebSocket route.',
    fix: 'Configure the proxy to forward Upgrade and Connection (HTTP/1.1), and check that the path is a WebSocket route. Follow a redirect by hand to the right URL.',
  },
  WSG_RESPONSE_REFUSED: {
    kind: 'client',
    title: 'Server refused the handshake',
    cause:
      'The server answered with an HTTP error status instead of 101. Its X-WSGate-Error header or body, when present, names the exact reason.',
    fix: 'Read the status and body in the detail; a wsgate server names the code and its fix.',
  },
  WSG_ACCEPT_MISMATCH: {
    kind: 'client',
    title: 'Sec-WebSocket-Accept does not match the key',
    cause:
      'The 101 response carried a missing or wrong Sec-WebSocket-Accept (RFC 6455 §4.2.2): a broken server, or a proxy or cache answering in its place.',
    fix: "Check the server's handshake code and any caching proxy in between.",
  },
  WSG_RESPONSE_SUBPROTOCOL_UNOFFERED: {
    kind: 'client',
    title: 'Server chose a subprotocol that was not offered',
    cause:
      'The 101 response named a Sec-WebSocket-Protocol the client did not offer (RFC 6455 §4.1), or one when none was offered.',
    fix: 'Fix the server to choose only from the offered subprotocols.',
  },
  WSG_RESPONSE_EXTENSION_UNOFFERED: {
    kind: 'client',
    title: 'Server accepted an extension that was not offered',
    cause:
      'The 101 response named an extension or parameter the client did not offer (RFC 6455 §4.1, RFC 7692 §7).',
    fix: "Fix the server's extension negotiation.",
  },
  WSG_RESPONSE_MALFORMED: {
    kind: 'client',
    title: "The server's answer is not valid HTTP",
    cause:
      'The bytes that came back are not an HTTP/1.1 response head: perhaps the port speaks another protocol, or TLS where plain HTTP was expected.',
    fix: 'Check the port and scheme (ws:// versus wss://).',
  },
  WSG_REPLY_TIMEOUT: {
    kind: 'client',
    title: 'No reply after the handshake',
    cause:
      'The connection opened, but the server answered neither a ping with a pong (RFC 6455 §5.5.2) nor a message with a reply within the time limit: a server that ignores pings, an endpoint that does not answer that message, or a proxy that holds frames back.',
    fix: 'Check that the server answers pings (every RFC 6455 server must) and what it sends back for this message; raise the timeout if the server is slow on purpose.',
  },
  WSG_CLOSE_UNEXPECTED: {
    kind: 'client',
    title: 'Server closed the connection during the exchange',
    cause:
      'After the handshake, the server sent a close frame before the exchange was over, or with an error code: 1002 protocol error, 1003 unsupported data, 1007 invalid data, 1008 policy, 1009 too big, 1011 server error, 4000-4999 application codes.',
    fix: 'Read the close code and reason in the detail: a reason that starts with a WSG_ code names the exact rule. For 1002, check the frame sent just before the close.',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof entries;

/** Every catalogue entry, keyed by its stable code. */
export const catalogue: Readonly<Record<ErrorCode, CatalogueEntry>> = entries;

export const errorCodes = Object.keys(entries) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(entries, value);
}
