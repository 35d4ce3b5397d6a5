import type { ErrorCode } from '@wsgate/core';
import { isHandshakeCode, objectionOf } from '@wsgate/core/adapter';
import type { HttpResponseHead } from '@wsgate/core/protocol';

// What an answer to the upgrade request shows, read the way a person would read it.

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
export function headerOfCode(code: ErrorCode): string | undefined {
  return isHandshakeCode(code) ? objectionOf(code) : undefined;
}

export const HEADER_NAMES = [
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
export function headersMentioned(body: string): string[] {
  return HEADER_NAMES.filter((name) => new RegExp(`\\b${name}\\b`, 'i').test(body));
}

/** A 400 from a TLS server that received plain HTTP (nginx: "The plain HTTP request was sent to HTTPS port"). */
export function saysPlainToTls(body: string): boolean {
  return /plain HTTP request was sent to HTTPS port|HTTP request to an HTTPS server|speaks? HTTPS|TLS required/i.test(
    body,
  );
}

export function looksLikeHtml(head: HttpResponseHead, body: string): boolean {
  return (
    /text\/html/i.test(head.headers['content-type'] ?? '') || /^\s*<(?:!doctype|html)/i.test(body)
  );
}

export function viaProxy(head: HttpResponseHead): string | undefined {
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
export function websocketLocation(location: string, base: string): string | undefined {
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

export const NGINX_FIX =
  'Behind nginx, in the location that proxies WebSockets: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";';
