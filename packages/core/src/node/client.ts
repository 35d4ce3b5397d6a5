import type { ClientHttp2Session } from 'node:http2';
import { connect as connectTcp, type LookupFunction, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { ErrorCode } from '../errors/catalogue.js';
import { WsgateError } from '../errors/wsgate-error.js';
import { generateClientKey } from '../protocol/accept-key.js';
import { serializeClientRequest, validateServerResponse } from '../protocol/handshake-client.js';
import { HttpResponseParser } from '../protocol/http-head.js';
import {
  acceptDeflateResponse,
  type DeflateOptions,
  formatDeflateOffer,
  PERMESSAGE_DEFLATE,
} from '../protocol/permessage-deflate.js';
import { type CaptureSetting, captureFor } from './capture.js';
import { clientConnection } from './client-connection.js';
import { connectOverHttp2 } from './client-h2.js';
import type { ConnectionLimits, WebSocketConnection } from './connection.js';

export interface ConnectOptions extends ConnectionLimits {
  readonly origin?: string | undefined;
  readonly subprotocols?: readonly string[] | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Bound on TCP, TLS and the opening handshake together. */
  readonly handshakeTimeoutMs?: number | undefined;
  /** Offer permessage-deflate (on by default). */
  readonly perMessageDeflate?: boolean | DeflateOptions | undefined;
  /** Fail with 1010 unless the server accepts permessage-deflate. */
  readonly requirePerMessageDeflate?: boolean | undefined;
  /** TLS: extra CA certificates (PEM), and whether to verify the server's certificate. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
  readonly rejectUnauthorized?: boolean | undefined;
  readonly servername?: string | undefined;
  readonly textAs?: 'string' | 'buffer' | undefined;
  /** Host name resolution, as for `net.connect` (e.g. to pin a name to an address). */
  readonly lookup?: LookupFunction | undefined;
  /** Ping at this interval and drop the connection when the server stays silent; 0 (default) turns it off. */
  readonly heartbeatIntervalMs?: number | undefined;
  /** Record this connection's traffic as pcapng (see `createCapture`); off by default. */
  readonly capture?: CaptureSetting | undefined;
  /**
   * Open the WebSocket as a stream of an HTTP/2 session (RFC 8441) instead of an HTTP/1.1
   * upgrade: `true` opens a session for this connection alone (closed with it); a session from
   * `http2.connect` carries several WebSockets, and stays the caller's to close. `capture` does
   * not apply.
   */
  readonly http2?: boolean | ClientHttp2Session | undefined;
}

/** A parsed WebSocket URL (RFC 6455 §3); http(s) is accepted as ws(s). */
export interface WebSocketUrl {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  /** Host header value. */
  readonly hostHeader: string;
  /** Path and query. */
  readonly resource: string;
}

export function parseWebSocketUrl(input: string | URL): WebSocketUrl {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new WsgateError('WSG_URL_INVALID', {
      detail: `${String(input).slice(0, 200)} cannot be parsed as a URL`,
    });
  }
  const scheme = url.protocol;
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(scheme)) {
    throw new WsgateError('WSG_URL_INVALID', { detail: `scheme ${scheme} is not ws: or wss:` });
  }
  // RFC 6455 §3: fragment identifiers are meaningless in WebSocket URIs.
  if (url.hash !== '') {
    throw new WsgateError('WSG_URL_INVALID', {
      detail: `the URL has a fragment (${url.hash.slice(0, 50)}); WebSocket URLs cannot`,
    });
  }
  const secure = scheme === 'wss:' || scheme === 'https:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    secure,
    host,
    port,
    hostHeader: url.port === '' ? url.host : `${url.hostname}:${port}`,
    resource: `${url.pathname || '/'}${url.search}`,
  };
}

const TLS_CODES =
  /^(?:ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|ERR_OSSL)/;

/** Maps a socket error to the catalogue code a person can act on. */
export function classifySocketError(error: NodeJS.ErrnoException): ErrorCode {
  const code = error.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL')
    return 'WSG_DNS_FAILED';
  if (code === 'ECONNREFUSED') return 'WSG_CONNECT_REFUSED';
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return 'WSG_CONNECT_TIMEOUT';
  if (TLS_CODES.test(code) || /SSL routines|certificate|TLS/i.test(error.message))
    return 'WSG_TLS_FAILED';
  return 'WSG_CONNECTION_RESET';
}

function failure(code: ErrorCode, detail: string, cause?: unknown): WsgateError {
  return new WsgateError(code, { detail, ...(cause === undefined ? {} : { cause }) });
}

/**
 * Opens a WebSocket connection (RFC 6455 §4.1). Every failure rejects with a `WsgateError`
 * whose code says what went wrong: DNS, refused, TLS, timeout, or the server's answer.
 */
export function connect(
  input: string | URL,
  options: ConnectOptions = {},
): Promise<WebSocketConnection> {
  let target: WebSocketUrl;
  try {
    target = parseWebSocketUrl(input);
  } catch (error) {
    return Promise.reject(error);
  }
  if (options.http2 !== undefined && options.http2 !== false)
    return connectOverHttp2(target, options);
  const deflate = options.perMessageDeflate ?? true;
  const deflateOptions: DeflateOptions = typeof deflate === 'object' ? deflate : {};
  const key = generateClientKey();
  const request = serializeClientRequest({
    host: target.hostHeader,
    path: target.resource,
    key,
    origin: options.origin,
    subprotocols: options.subprotocols,
    extensions: deflate === false ? undefined : formatDeflateOffer(deflateOptions),
    headers: options.headers,
  });
  const timeoutMs = options.handshakeTimeoutMs ?? 10_000;

  return new Promise((resolve, reject) => {
    let socket: Socket;
    if (target.secure) {
      const tlsOptions: TlsConnectionOptions = {
        host: target.host,
        port: target.port,
        servername: options.servername ?? (/^[\d.:]+$/.test(target.host) ? '' : target.host),
        ALPNProtocols: ['http/1.1'],
        ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
        ...(options.ca === undefined ? {} : { ca: options.ca as TlsConnectionOptions['ca'] }),
        ...(options.rejectUnauthorized === undefined
          ? {}
          : { rejectUnauthorized: options.rejectUnauthorized }),
      };
      socket = connectTls(tlsOptions);
      socket.once('secureConnect', () => socket.write(request));
    } else {
      socket = connectTcp({
        host: target.host,
        port: target.port,
        ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
      });
      socket.once('connect', () => socket.write(request));
    }
    socket.setNoDelay(true);
    if (options.capture !== undefined) captureFor(socket, options.capture)?.track(socket, 'client');
    const parser = new HttpResponseParser();
    let settled = false;
    const timer = setTimeout(() => {
      settle(failure('WSG_CONNECT_TIMEOUT', `no complete handshake within ${timeoutMs} ms`));
    }, timeoutMs);

    function settle(error: WsgateError | undefined, connection?: WebSocketConnection): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error !== undefined) {
        socket.on('error', () => {});
        socket.destroy();
        reject(error);
        return;
      }
      resolve(connection as WebSocketConnection);
    }
    function onError(error: NodeJS.ErrnoException): void {
      settle(
        failure(classifySocketError(error), `${error.code ?? 'error'}: ${error.message}`, error),
      );
    }
    function onClose(): void {
      settle(
        failure(
          'WSG_CONNECTION_RESET',
          'the connection closed before the server answered the handshake',
        ),
      );
    }
    function onData(chunk: Buffer): void {
      const result = parser.push(chunk);
      if (result.state === 'incomplete') return;
      if (result.state === 'failed') {
        settle(failure('WSG_RESPONSE_MALFORMED', result.detail));
        return;
      }
      const outcome = validateServerResponse(result.head, {
        key,
        subprotocols: options.subprotocols,
        extensionNames: deflate === false ? [] : [PERMESSAGE_DEFLATE],
      });
      if (!outcome.ok) {
        settle(failure(outcome.code, outcome.detail));
        return;
      }
      const accepted = outcome.extensions.find(
        (extension) => extension.name === PERMESSAGE_DEFLATE,
      );
      const agreement =
        accepted === undefined ? undefined : acceptDeflateResponse(accepted, deflateOptions);
      if (accepted !== undefined && agreement === undefined) {
        settle(
          failure(
            'WSG_RESPONSE_EXTENSION_UNOFFERED',
            `the server's permessage-deflate parameters were not offered: ${result.head.headers['sec-websocket-extensions']}`,
          ),
        );
        return;
      }
      socket.pause();
      const connection = clientConnection(socket, options, {
        subprotocol: outcome.subprotocol,
        extensions: result.head.headers['sec-websocket-extensions'],
        deflate: agreement,
        deflateOptions,
      });
      settle(undefined, connection);
      if (options.requirePerMessageDeflate && agreement === undefined) {
        connection.fail('WSG_EXTENSION_REQUIRED', 'the server did not accept permessage-deflate');
        // Keep reading: the server's answer to our close frame and its TCP close end the
        // connection now, instead of closeTimeoutMs later.
        setImmediate(() => connection.start(result.rest));
        return;
      }
      // Let the caller attach listeners before the bytes that came with the 101 are read.
      const rest = result.rest;
      setImmediate(() => connection.start(rest));
    }
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}
