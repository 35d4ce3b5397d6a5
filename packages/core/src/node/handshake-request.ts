import type { IncomingMessage } from 'node:http';
import type { HttpRequestHead } from '../protocol/http-head.js';

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

export function fromIncomingMessage(request: IncomingMessage): HandshakeRequest {
  return new ParsedHandshakeRequest(
    request.method ?? 'GET',
    request.url ?? '/',
    request.httpVersion,
    request.headers,
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
