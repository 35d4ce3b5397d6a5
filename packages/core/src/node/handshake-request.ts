import type { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { HttpRequestHead } from '../protocol/http-head.js';
import { remoteAddressOf, type WebSocketTransport } from './h2-stream.js';

/** An opening handshake request, the same whether Node's http parsed it or wsgate did. */
export interface HandshakeRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  /** Path without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly httpVersion: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly remoteAddress: string | undefined;
  /** Node's request, when the handshake came through an http server. */
  readonly incoming: IncomingMessage | undefined;
  /**
   * How the WebSocket is being opened: an HTTP/1.1 upgrade (RFC 6455), or an extended CONNECT
   * on an HTTP/2 stream (RFC 8441), whose headers then include the pseudo-headers (":path",
   * ":protocol"...) and a `host` taken from ":authority". Left out, HTTP/1.1.
   */
  readonly transport?: WebSocketTransport;
}

/**
 * Built for every handshake, so what few need (the parsed query, the peer's address, which costs
 * a system call and a cached object per socket) is computed only when asked for.
 */
class ParsedHandshakeRequest implements HandshakeRequest {
  readonly path: string;
  private queryValue: URLSearchParams | undefined;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly httpVersion: string,
    readonly headers: Readonly<Record<string, string | string[] | undefined>>,
    private readonly socket: { readonly remoteAddress?: string | undefined } | undefined,
    readonly incoming: IncomingMessage | undefined,
    readonly transport: WebSocketTransport = 'http/1.1',
  ) {
    const queryStart = url.indexOf('?');
    this.path = queryStart === -1 ? url : url.slice(0, queryStart);
  }

  get query(): URLSearchParams {
    if (this.queryValue === undefined) {
      const queryStart = this.url.indexOf('?');
      this.queryValue = new URLSearchParams(
        queryStart === -1 ? '' : this.url.slice(queryStart + 1),
      );
    }
    return this.queryValue;
  }

  get remoteAddress(): string | undefined {
    return this.socket?.remoteAddress;
  }
}

/**
 * Node keeps only the first of repeated Host headers, where RFC 9112 §3.2 answers them with 400:
 * the handshake gets them all, as a standalone server's parser gives them, so that the same check
 * refuses them.
 */
function headersOf(request: IncomingMessage): IncomingMessage['headers'] {
  // Request-like objects built by hand (tests, other servers) may carry parsed headers alone.
  const raw: readonly string[] = request.rawHeaders ?? [];
  let hosts: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    hosts ??= [];
    hosts.push(raw[i + 1] as string);
  }
  if (hosts === undefined || hosts.length < 2) return request.headers;
  return { ...request.headers, host: hosts } as unknown as IncomingMessage['headers'];
}

export function fromIncomingMessage(request: IncomingMessage): HandshakeRequest {
  return new ParsedHandshakeRequest(
    request.method ?? 'GET',
    request.url ?? '/',
    request.httpVersion,
    headersOf(request),
    request.socket ?? undefined,
    request,
  );
}

export function fromRequestHead(
  head: HttpRequestHead,
  socket: { readonly remoteAddress?: string | undefined } | undefined,
): HandshakeRequest {
  return new ParsedHandshakeRequest(
    head.method,
    head.target,
    head.httpVersion,
    head.headers,
    socket,
    undefined,
  );
}

/** The peer of an HTTP/2 stream: the connection its session runs on, asked when needed. */
class StreamPeer {
  constructor(private readonly stream: ServerHttp2Stream) {}
  get remoteAddress(): string | undefined {
    return remoteAddressOf(this.stream);
  }
}

/**
 * An extended CONNECT (RFC 8441) as a handshake request: the method and target from ":method" and
 * ":path", and a `host` from ":authority" (RFC 9113 §8.3.1), so that applications read requests
 * alike whatever the HTTP version.
 */
export function fromHttp2Stream(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
): HandshakeRequest {
  const authority = headers[':authority'];
  const withHost =
    headers.host === undefined && typeof authority === 'string'
      ? { ...headers, host: authority }
      : { ...headers };
  return new ParsedHandshakeRequest(
    String(headers[':method'] ?? 'CONNECT'),
    String(headers[':path'] ?? '/'),
    '2.0',
    withHost,
    new StreamPeer(stream),
    undefined,
    'h2',
  );
}
