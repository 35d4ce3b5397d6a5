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

function splitTarget(target: string): { path: string; query: URLSearchParams } {
  const queryStart = target.indexOf('?');
  if (queryStart === -1) return { path: target, query: new URLSearchParams() };
  return {
    path: target.slice(0, queryStart),
    query: new URLSearchParams(target.slice(queryStart + 1)),
  };
}

export function fromIncomingMessage(request: IncomingMessage): HandshakeRequest {
  const url = request.url ?? '/';
  return {
    method: request.method ?? 'GET',
    url,
    ...splitTarget(url),
    httpVersion: request.httpVersion,
    headers: request.headers,
    remoteAddress: request.socket?.remoteAddress,
    incoming: request,
  };
}

export function fromRequestHead(
  head: HttpRequestHead,
  remoteAddress: string | undefined,
): HandshakeRequest {
  return {
    method: head.method,
    url: head.target,
    ...splitTarget(head.target),
    httpVersion: head.httpVersion,
    headers: head.headers,
    remoteAddress,
    incoming: undefined,
  };
}
