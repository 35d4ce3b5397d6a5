import { type Server as HttpServer, type IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type HandshakeCode, isHandshakeCode } from '../errors/catalogue.js';
import { codeForFrameworkStatus } from '../errors/framework-answer.js';
import type { ErrorRefusal } from '../errors/http-error.js';
import { buildRefusal, type HttpRefusal } from '../errors/http-refusal.js';
import { logEventFor, logEventForException } from '../errors/log-event.js';
import { handshakeRefused } from '../observability/hooks.js';
import { validateUpgradeRequest } from '../protocol/handshake-server.js';
import type { WebSocketConnection } from './connection.js';
import { fromIncomingMessage, type HandshakeRequest } from './handshake-request.js';
import { sendRefusal, writeBuiltRefusal } from './refusal.js';
import { defaultRefusalJournal, type RefusalJournal } from './refusal-journal.js';
import { requestHeadArrived } from './request-head-deadline.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  limitHeadsOf,
  type UpgradeOptions,
  type WebSocketServer,
} from './server.js';
import type { ServerGroup } from './server-group.js';

const LINGER_MS = 2_000;

/** Whether another upgrade listener (or the peer) already took the socket: wrote to it, ended or destroyed it. */
function claimed(socket: Duplex): boolean {
  return (
    socket.destroyed || socket.writableEnded || ((socket as Partial<Socket>).bytesWritten ?? 0) > 0
  );
}

/**
 * One upgrade request on its way through a framework's router and middleware. The framework
 * sees an ordinary request and `response`; whatever it answers (401, a redirect, its own 404) is
 * written to the upgrade socket as real HTTP. A WebSocket route calls `accept`; the adapter
 * calls `refuse` when nothing did. The Express and Koa adapters share this (see
 * `bridgeUpgrades`); Nest's gateways, which route by path alone, use `UpgradeRouter`.
 */
export class UpgradeExchange {
  readonly handshake: HandshakeRequest;
  /** A response bound to the upgrade socket: writing to it answers the client over HTTP. */
  readonly response: ServerResponse;
  private settledValue = false;
  private deadline: NodeJS.Timeout | undefined;

  constructor(
    readonly request: IncomingMessage,
    readonly socket: Duplex,
    readonly head: Buffer,
    private readonly journal: RefusalJournal = defaultRefusalJournal,
  ) {
    this.handshake = fromIncomingMessage(request);
    const response = new ServerResponse(request);
    response.shouldKeepAlive = false;
    labelFrameworkAnswers(response);
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
      this.stopDeadline();
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

  /** Settled, or the socket taken by another upgrade listener (written to or ended). */
  get taken(): boolean {
    return this.settled || claimed(this.socket);
  }

  /**
   * Calls `expired` if the exchange is neither settled nor taken within `timeoutMs`: a framework
   * whose middleware never answers must not leave the client hanging. Stopped by any answer.
   */
  armDeadline(timeoutMs: number, expired: () => void): void {
    this.stopDeadline();
    const timer = setTimeout(() => {
      this.deadline = undefined;
      if (!this.taken) expired();
    }, timeoutMs);
    timer.unref();
    this.deadline = timer;
    this.socket.once('close', () => this.stopDeadline());
  }

  private stopDeadline(): void {
    if (this.deadline === undefined) return;
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  /** Completes the handshake (every RFC check and the server's policy apply). */
  accept(
    server: WebSocketServer,
    options: UpgradeOptions = {},
  ): Promise<WebSocketConnection | undefined> {
    if (this.settled) return Promise.resolve(undefined);
    this.settledValue = true;
    this.stopDeadline();
    this.response.detachSocket(this.socket as Socket);
    const headers = { ...headersSetByFramework(this.response), ...options.headers };
    return server.handleUpgrade(this.handshake, this.socket, this.head, { ...options, headers });
  }

  /** Refuses with a catalogue code, unless the framework already answered. */
  refuse(
    server: WebSocketServer | undefined,
    code: HandshakeCode,
    detail?: string,
    headers?: Readonly<Record<string, string>>,
    status?: number,
  ): void {
    if (this.settled) return;
    this.settledValue = true;
    this.stopDeadline();
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
    handshakeRefused(this.handshake, refusal.code, refusal.status, refusal.detail);
    this.journal.recordFor(this.handshake, refusal.code, refusal.status);
    writeBuiltRefusal(this.socket, refusal);
  }

  /**
   * The catalogue answer to `refusal`, for a framework to send through its own response (its
   * journal entry is written when that response finishes); logged on `server`'s onLog.
   */
  answerFor(server: WebSocketServer, refusal: ErrorRefusal): HttpRefusal {
    const { code, detail, status, headers } = refusal;
    const { remoteAddress, path } = this.handshake;
    const accept = this.handshake.headers.accept;
    const answer = buildRefusal(code, {
      accept: Array.isArray(accept) ? accept.join(', ') : accept,
      ...(detail === undefined ? {} : { detail }),
      ...(status === undefined ? {} : { status }),
      headers,
    });
    // The answer's own code: WSG_RESPONSE_HEADER_INVALID when `headers` could not be written.
    server.options.onLog?.(
      logEventFor(answer.code, { detail: answer.detail, remoteAddress, path }),
    );
    handshakeRefused(this.handshake, answer.code, answer.status, answer.detail);
    return answer;
  }

  /**
   * The application failed during the handshake: logged with its stack (`server`'s onLog),
   * answered WSG_HOOK_FAILED without it, with the 5xx the application chose (500 by default).
   */
  fail(server: WebSocketServer, error: unknown, status?: number): void {
    if (this.settled) return;
    server.options.onLog?.(
      logEventForException('handshake', error, {
        remoteAddress: this.handshake.remoteAddress,
        path: this.handshake.path,
      }),
    );
    this.refuse(undefined, 'WSG_HOOK_FAILED', undefined, undefined, status);
  }

  /**
   * 404 WSG_PATH_NOT_FOUND for an upgrade the framework did not route: at once when `http` has
   * no other upgrade listener, else only if none of them took the socket within
   * `unhandledUpgradeTimeoutMs` (as `WebSocketServer.refuseUnhandled`).
   */
  refuseUnclaimed(server: WebSocketServer, http: HttpServer | HttpsServer): void {
    if (this.settled) return;
    this.settledValue = true;
    this.stopDeadline();
    this.response.detachSocket(this.socket as Socket);
    server.refuseUnhandled(http as HttpServer, this.handshake, this.socket);
  }
}

/** How `bridgeUpgrades` hands upgrade requests to a framework. */
export interface UpgradeBridgeHooks {
  /**
   * Runs one upgrade request through the framework (`exchange.request`, `exchange.response`).
   * A WebSocket route accepts with `group.accept(exchange)`; whatever the framework answers on
   * the response is written as real HTTP; what nothing answers is the framework's to refuse.
   */
  readonly run: (exchange: UpgradeExchange) => void;
  /** Upgrade requests to leave to other upgrade listeners without running the framework. */
  readonly skip?: ((request: IncomingMessage) => boolean) | undefined;
  /**
   * With other upgrade listeners on the server, run the framework only on what they have not
   * claimed by the next turn of the event loop (listeners that claim at once keep their requests).
   */
  readonly afterNeighbours?: boolean | undefined;
  /** Told before the 500 when the framework answered nothing within `handshakeTimeoutMs`. */
  readonly onTimeout?: ((error: Error, exchange: UpgradeExchange) => void) | undefined;
}

/**
 * Routes the upgrade requests of `http` through a framework, with the policy of `group.base`:
 * its `path` keeps other paths out (404, after other listeners had their chance), a request
 * another listener already answered is left alone, 503 once the group is closing, and 500
 * WSG_HOOK_FAILED (logged) when the framework settles nothing within `handshakeTimeoutMs`.
 * Returns a function that detaches.
 */
export function bridgeUpgrades(
  http: HttpServer | HttpsServer,
  group: ServerGroup,
  hooks: UpgradeBridgeHooks,
): () => void {
  const base = group.base;
  const options = base.options;
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const run = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const exchange = new UpgradeExchange(request, socket, head, options.refusalJournal);
    exchange.armDeadline(timeoutMs, () => {
      const error = new Error(
        `the app did not answer the upgrade request to ${exchange.handshake.path}, nor reach a WebSocket route, within ${timeoutMs} ms`,
      );
      hooks.onTimeout?.(error, exchange);
      exchange.fail(base, error.message);
    });
    hooks.run(exchange);
  };
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    requestHeadArrived(socket);
    // Left to another listener, or already answered by one registered before this.
    if (hooks.skip?.(request) === true || claimed(socket)) return;
    if (options.path !== undefined || group.closing) {
      const handshake = fromIncomingMessage(request);
      if (!base.servesPath(handshake.path)) {
        base.refuseUnhandled(http as HttpServer, handshake, socket);
        return;
      }
      if (group.closing) {
        base.refuse(handshake, socket, 'WSG_SERVER_SHUTTING_DOWN');
        return;
      }
    }
    if (hooks.afterNeighbours !== true || http.listenerCount('upgrade') <= 1) {
      run(request, socket, head);
      return;
    }
    // Listeners beside this one run in this same 'upgrade' event: let them claim first.
    setImmediate(() => {
      if (!claimed(socket)) run(request, socket, head);
    });
  };
  http.on('upgrade', onUpgrade);
  const stopLimitingHeads = limitHeadsOf(http, options);
  return () => {
    http.off('upgrade', onUpgrade);
    stopLimitingHeads();
  };
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

/** The catalogue code of an answer a framework wrote: the one it names, else the policy's for its status. */
export function codeForFrameworkAnswer(response: ServerResponse): HandshakeCode {
  const named = response.getHeader('x-wsgate-error');
  return isHandshakeCode(named) ? named : codeForFrameworkStatus(response.statusCode);
}

/**
 * Names the code of whatever the framework writes on an upgrade's response (its own 401, a rate
 * limiter's 429, a redirect) in X-WSGate-Error, as every refusal of wsgate does, unless the
 * answer names one. Node writes every head through `writeHead`, `end()` without it included.
 */
function labelFrameworkAnswers(response: ServerResponse): void {
  const writeHead = response.writeHead;
  response.writeHead = function labelledWriteHead(
    this: ServerResponse,
    ...args: Parameters<ServerResponse['writeHead']>
  ) {
    if (!this.hasHeader('x-wsgate-error'))
      this.setHeader('X-WSGate-Error', codeForFrameworkStatus(args[0]));
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
}

/**
 * The answer to an ordinary request that reached a WebSocket-only route, as `refusalForPlainRequest`
 * names it, built for a framework to send (`Connection: Upgrade` beside a 426's `Upgrade`).
 */
export function plainRequestRefusal(request: IncomingMessage): HttpRefusal {
  const { code, detail } = refusalForPlainRequest(request);
  const refusal = buildRefusal(code, { detail, accept: request.headers.accept });
  // RFC 9110 §7.8: an Upgrade header in a response is listed in Connection.
  if (refusal.headers.Upgrade === undefined) return refusal;
  return { ...refusal, headers: { ...refusal.headers, Connection: 'Upgrade' } };
}

/** Answers an ordinary request that reached a WebSocket-only route: 426, or the exact fault. */
export function refusePlainRequest(request: IncomingMessage, response: ServerResponse): void {
  const { code, detail } = refusalForPlainRequest(request);
  sendRefusal(response, code, { detail, accept: request.headers.accept });
}

/**
 * The refusal for an ordinary request that reached a WebSocket-only route: 426 for a plain GET,
 * or the exact fault when it tried to upgrade but Node did not treat it as an upgrade (e.g.
 * `Upgrade: websocket` without `Connection: Upgrade`).
 */
export function refusalForPlainRequest(request: IncomingMessage): {
  code: HandshakeCode;
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
