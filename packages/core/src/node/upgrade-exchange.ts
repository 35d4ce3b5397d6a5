import { type Server as HttpServer, type IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type HandshakeCode, isHandshakeCode } from '../errors/catalogue.js';
import { codeForFrameworkStatus } from '../errors/framework-answer.js';
import type { ErrorRefusal } from '../errors/http-error.js';
import { buildRefusal, type HttpRefusal } from '../errors/http-refusal.js';
import { logEventFor, logEventForException } from '../errors/log-event.js';
import { handshakeRefused } from '../observability/hooks.js';
import type { WebSocketConnection } from './connection.js';
import type { AnyHttp2Server } from './h2-attach.js';
import { AnswerCapture, type CapturedAnswer, frameworkRequestFor } from './h2-framework-request.js';
import { isServerHttp2Stream } from './h2-stream.js';
import {
  fromHttp2Stream,
  fromIncomingMessage,
  type HandshakeRequest,
} from './handshake-request.js';
import { writeBuiltRefusal, writeHttpResponse } from './refusal.js';
import { defaultRefusalJournal, type RefusalJournal } from './refusal-journal.js';
import type { UpgradeOptions, WebSocketServer } from './server.js';

const LINGER_MS = 2_000;
const EMPTY = Buffer.alloc(0);

/** Whether another upgrade listener (or the peer) already took the socket: wrote to it, ended or destroyed it. */
export function claimed(socket: Duplex): boolean {
  return (
    socket.destroyed ||
    socket.writableEnded ||
    ((socket as Partial<Socket>).bytesWritten ?? 0) > 0 ||
    (socket as Partial<ServerHttp2Stream>).headersSent === true
  );
}

/**
 * One upgrade request on its way through a framework's router and middleware. The framework
 * sees an ordinary request and `response`; whatever it answers (401, a redirect, its own 404) is
 * written to the client as real HTTP. A WebSocket route calls `accept`; the adapter calls
 * `refuse` when nothing did. The Express and Koa adapters share this (see `bridgeUpgrades`);
 * Nest's gateways, which route by path alone, use `UpgradeRouter`.
 *
 * Over HTTP/2 (`UpgradeExchange.overHttp2`) the request is an extended CONNECT stream (RFC 8441):
 * the framework sees it as the HTTP/1.1 upgrade it stands for (see `frameworkRequestFor`), and
 * its answer goes back on the stream as an HTTP/2 response.
 */
export class UpgradeExchange {
  readonly handshake: HandshakeRequest;
  /** A response bound to the upgrade socket: writing to it answers the client over HTTP. */
  readonly response: ServerResponse;
  /** Where `response` writes: the upgrade socket, or over HTTP/2 a capture of the answer. */
  readonly #carrier: Duplex;
  private settledValue = false;
  private deadline: NodeJS.Timeout | undefined;

  /** An extended CONNECT stream of an HTTP/2 server, as an exchange. */
  static overHttp2(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    journal?: RefusalJournal,
  ): UpgradeExchange {
    return new UpgradeExchange(
      frameworkRequestFor(stream, headers),
      stream,
      EMPTY,
      journal,
      fromHttp2Stream(stream, headers),
    );
  }

  constructor(
    readonly request: IncomingMessage,
    readonly socket: Duplex,
    readonly head: Buffer,
    private readonly journal: RefusalJournal = defaultRefusalJournal,
    handshake?: HandshakeRequest,
  ) {
    this.handshake = handshake ?? fromIncomingMessage(request);
    const response = new ServerResponse(request);
    response.shouldKeepAlive = false;
    labelFrameworkAnswers(response);
    const stream = isServerHttp2Stream(socket) ? socket : undefined;
    this.#carrier =
      stream === undefined
        ? socket
        : new AnswerCapture(stream, (answer) => answerOverHttp2(stream, answer));
    response.assignSocket(this.#carrier as Socket);
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
      response.detachSocket(this.#carrier as Socket);
      // Over HTTP/2 the capture's end sends the answer, and answerOnStream lingers.
      this.#carrier.end();
      if (stream !== undefined) return;
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

  /** Hands the socket back from the framework's response to wsgate. */
  #release(): void {
    this.settledValue = true;
    this.stopDeadline();
    this.response.detachSocket(this.#carrier as Socket);
  }

  /** Completes the handshake (every RFC check and the server's policy apply). */
  accept(
    server: WebSocketServer,
    options: UpgradeOptions = {},
  ): Promise<WebSocketConnection | undefined> {
    if (this.settled) return Promise.resolve(undefined);
    this.#release();
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
    this.#release();
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
   * `unhandledUpgradeTimeoutMs` (as `WebSocketServer.refuseUnhandled`). An HTTP/2 stream gets it
   * at once: no upgrade listener can take it.
   */
  refuseUnclaimed(server: WebSocketServer, http: HttpServer | HttpsServer | AnyHttp2Server): void {
    if (this.settled) return;
    if (this.#carrier !== this.socket) {
      this.refuse(server, 'WSG_PATH_NOT_FOUND', `no WebSocket endpoint at ${this.handshake.path}`);
      return;
    }
    this.#release();
    server.refuseUnhandled(http as HttpServer, this.handshake, this.socket);
  }
}

/**
 * Sends a framework's answer on the extended CONNECT's stream. A 2xx would open the WebSocket
 * (RFC 8441 §5), so an app that answered with a page or any success gets what its code,
 * WSG_UPGRADE_NOT_HANDLED, says, with 404 instead: over HTTP/2 there is no WebSocket there.
 */
function answerOverHttp2(stream: ServerHttp2Stream, answer: CapturedAnswer): void {
  if (answer.status >= 200 && answer.status < 300) {
    writeBuiltRefusal(
      stream,
      buildRefusal('WSG_UPGRADE_NOT_HANDLED', {
        status: 404,
        detail: `the application answered ${answer.status} to the WebSocket request`,
      }),
    );
    return;
  }
  writeHttpResponse(stream, answer.status, answer.headers, answer.body);
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
