import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ErrorCode, isErrorCode } from '../errors/catalogue.js';
import { buildRefusal } from '../errors/http-refusal.js';
import { validateUpgradeRequest } from '../protocol/handshake-server.js';
import type { WebSocketConnection } from './connection.js';
import { fromIncomingMessage, type HandshakeRequest } from './handshake-request.js';
import { writeBuiltRefusal } from './refusal.js';
import { defaultRefusalJournal, type RefusalJournal } from './refusal-journal.js';
import type { UpgradeOptions, WebSocketServer } from './server.js';

const LINGER_MS = 2_000;

/**
 * One upgrade request on its way through a framework's router and middleware. The framework
 * sees an ordinary request and `response`; whatever it answers (401, a redirect, its own 404) is
 * written to the upgrade socket as real HTTP. A WebSocket route calls `accept`; the adapter
 * calls `refuse` when nothing did. The adapters for Express, Koa and Nest share this.
 */
export class UpgradeExchange {
  readonly handshake: HandshakeRequest;
  /** A response bound to the upgrade socket: writing to it answers the client over HTTP. */
  readonly response: ServerResponse;
  private settledValue = false;

  constructor(
    readonly request: IncomingMessage,
    readonly socket: Duplex,
    readonly head: Buffer,
    private readonly journal: RefusalJournal = defaultRefusalJournal,
  ) {
    this.handshake = fromIncomingMessage(request);
    const response = new ServerResponse(request);
    response.shouldKeepAlive = false;
    response.assignSocket(socket as Socket);
    response.once('finish', () => {
      // The framework answered the upgrade itself (a middleware's 401, its own 404...).
      if (!this.settledValue)
        this.journal.recordFor(
          this.handshake,
          codeForFrameworkAnswer(response),
          response.statusCode,
        );
      this.settledValue = true;
      response.detachSocket(socket as Socket);
      socket.end();
      const timer = setTimeout(() => socket.destroy(), LINGER_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    });
    socket.on('error', () => socket.destroy());
    this.response = response;
  }

  /** Whether the exchange was answered, refused or upgraded. */
  get settled(): boolean {
    return this.settledValue || this.response.headersSent || this.socket.destroyed;
  }

  /** Completes the handshake (every RFC check and the server's policy apply). */
  accept(
    server: WebSocketServer,
    options: UpgradeOptions = {},
  ): Promise<WebSocketConnection | undefined> {
    if (this.settled) return Promise.resolve(undefined);
    this.settledValue = true;
    this.response.detachSocket(this.socket as Socket);
    const headers = { ...headersSetByFramework(this.response), ...options.headers };
    return server.handleUpgrade(this.handshake, this.socket, this.head, { ...options, headers });
  }

  /** Refuses with a catalogue code, unless the framework already answered. */
  refuse(
    server: WebSocketServer | undefined,
    code: ErrorCode,
    detail?: string,
    headers?: Readonly<Record<string, string>>,
    status?: number,
  ): void {
    if (this.settled) return;
    this.settledValue = true;
    this.response.detachSocket(this.socket as Socket);
    if (server !== undefined) {
      server.refuse(this.handshake, this.socket, code, detail, headers, status);
      return;
    }
    const accept = this.handshake.headers.accept;
    const refusal = buildRefusal(code, {
      accept: Array.isArray(accept) ? accept.join(', ') : accept,
      ...(detail === undefined ? {} : { detail }),
      ...(headers === undefined ? {} : { headers }),
      ...(status === undefined ? {} : { status }),
    });
    this.journal.recordFor(this.handshake, code, refusal.status);
    writeBuiltRefusal(this.socket, refusal);
  }
}

/** Headers that describe a body or the connection itself have no place in a 101 (RFC 9110 §7.6.1). */
const NOT_FOR_101 =
  /^(?:connection|upgrade|keep-alive|proxy-connection|te|trailer|transfer-encoding|content-.*|sec-websocket-.*)$/;

/**
 * Headers middleware set on the response before the route accepted (a refreshed session cookie,
 * a request id): they go into the 101, a repeated header once per value.
 */
export function headersSetByFramework(response: ServerResponse): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(response.getHeaders())) {
    if (value === undefined || NOT_FOR_101.test(name)) continue;
    headers[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return headers;
}

/** The catalogue code that best names an answer a framework wrote itself. */
export function codeForFrameworkAnswer(response: ServerResponse): ErrorCode {
  const named = response.getHeader('x-wsgate-error');
  if (isErrorCode(named)) return named;
  const status = response.statusCode;
  if (status === 401) return 'WSG_AUTH_REQUIRED';
  if (status === 404) return 'WSG_PATH_NOT_FOUND';
  if (status === 405) return 'WSG_METHOD_NOT_ALLOWED';
  if (status === 426) return 'WSG_NOT_WEBSOCKET';
  if (status === 429 || status === 503) return 'WSG_TOO_MANY_CONNECTIONS';
  if (status >= 500) return 'WSG_HOOK_FAILED';
  return 'WSG_FORBIDDEN';
}

/**
 * The refusal for an ordinary request that reached a WebSocket-only route: 426 for a plain GET,
 * or the exact fault when it tried to upgrade but Node did not treat it as an upgrade (e.g.
 * `Upgrade: websocket` without `Connection: Upgrade`).
 */
export function refusalForPlainRequest(request: IncomingMessage): {
  code: ErrorCode;
  detail: string;
} {
  const outcome = validateUpgradeRequest(fromIncomingMessage(request));
  if (outcome.accepted)
    return {
      code: 'WSG_NOT_WEBSOCKET',
      detail: 'the request reached the server as a plain request',
    };
  return { code: outcome.code, detail: outcome.detail };
}
