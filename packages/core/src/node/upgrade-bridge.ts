import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../errors/catalogue.js';
import { validateUpgradeRequest } from '../protocol/handshake-server.js';
import type { WebSocketConnection } from './connection.js';
import { type HandshakeRequest, fromIncomingMessage } from './handshake-request.js';
import { writeRefusal } from './refusal.js';
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
  ) {
    this.handshake = fromIncomingMessage(request);
    const response = new ServerResponse(request);
    response.shouldKeepAlive = false;
    response.assignSocket(socket as Socket);
    response.once('finish', () => {
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
  accept(server: WebSocketServer, options: UpgradeOptions = {}): Promise<WebSocketConnection | undefined> {
    if (this.settled) return Promise.resolve(undefined);
    this.settledValue = true;
    this.response.detachSocket(this.socket as Socket);
    return server.handleUpgrade(this.handshake, this.socket, this.head, options);
  }

  /** Refuses with a catalogue code, unless the framework already answered. */
  refuse(server: WebSocketServer | undefined, code: ErrorCode, detail?: string, headers?: Readonly<Record<string, string>>, status?: number): void {
    if (this.settled) return;
    this.settledValue = true;
    this.response.detachSocket(this.socket as Socket);
    if (server !== undefined) {
      server.refuse(this.handshake, this.socket, code, detail, headers, status);
      return;
    }
    const accept = this.handshake.headers.accept;
    writeRefusal(this.socket, code, {
      accept: Array.isArray(accept) ? accept.join(', ') : accept,
      ...(detail === undefined ? {} : { detail }),
      ...(headers === undefined ? {} : { headers }),
      ...(status === undefined ? {} : { status }),
    });
  }
}

/**
 * The refusal for an ordinary request that reached a WebSocket-only route: 426 for a plain GET,
 * or the exact fault when it tried to upgrade but Node did not treat it as an upgrade (e.g.
 * `Upgrade: websocket` without `Connection: Upgrade`).
 */
export function refusalForPlainRequest(request: IncomingMessage): { code: ErrorCode; detail: string } {
  const outcome = validateUpgradeRequest(fromIncomingMessage(request));
  if (outcome.accepted) return { code: 'WSG_NOT_WEBSOCKET', detail: 'the request reached the server as a plain request' };
  return { code: outcome.code, detail: outcome.detail };
}
