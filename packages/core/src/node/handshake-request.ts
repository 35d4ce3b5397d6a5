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
