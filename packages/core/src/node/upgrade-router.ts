import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { logEventForException } from '../errors/log-event.js';
import { isHttp2Server } from './h2-attach.js';
import { onExtendedConnect } from './h2-extended-connect.js';
import {
  fromHttp2Stream,
  fromIncomingMessage,
  type HandshakeRequest,
} from './handshake-request.js';
import { sendRefusal } from './refusal.js';
import { answerRefusalLookup, type RefusalJournal } from './refusal-journal.js';
import { requestHeadArrived } from './request-head-deadline.js';
import { limitHeadsOf, type ServerOptions, WebSocketServer } from './server.js';
import { refusePlainRequest } from './upgrade-bridge.js';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export interface UpgradeRouterOptions {
  /**
   * Options of the server that refuses what no endpoint serves: its `onLog`, `refusalJournal`
   * and `unhandledUpgradeTimeoutMs` apply to those 404s.
   */
  readonly fallback?: ServerOptions | undefined;
  /** Answer a plain request to an endpoint's path with 426 (or the exact fault); default true. */
  readonly refusePlainRequests?: boolean | undefined;
  /** Answer `GET /.well-known/wsgate/refusal?attempt=ID` from this journal. */
  readonly refusalLookup?: RefusalJournal | undefined;
  /**
   * Put those plain-request answers, when there are any, in front of the server's own request
   * listeners (an app's router would answer an endpoint's path with its 404). Off by default.
   */
  readonly interceptRequests?: boolean | undefined;
}

function pathOf(url: string | undefined): string {
  const target = url ?? '/';
  const queryStart = target.indexOf('?');
  return queryStart === -1 ? target : target.slice(0, queryStart);
}

const EMPTY = Buffer.alloc(0);

/**
 * Several WebSocket endpoints on one HTTP server, with one upgrade listener: each upgrade goes
 * to the server of its exact path (or to the endpoint that serves every other path), and a path
 * no endpoint serves gets 404 WSG_PATH_NOT_FOUND, after a grace period when other upgrade
 * listeners exist. On an HTTP/2 server (passed where an http server is expected), extended
 * CONNECT streams (RFC 8441) are routed the same way, and get their 404 at once.
 */
export class UpgradeRouter {
  private readonly endpoints = new Map<string | undefined, WebSocketServer>();
  private readonly fallback: WebSocketServer;
  private readonly detachers: (() => void)[] = [];

  constructor(
    readonly http: HttpServer,
    private readonly options: UpgradeRouterOptions = {},
    /** Whether `close` also closes `http` (a server the router was made for). */
    private readonly ownsServer = false,
  ) {
    this.fallback = new WebSocketServer(options.fallback);
    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void =>
      this.upgrade(request, socket, head);
    http.on('upgrade', onUpgrade);
    this.detachers.push(() => http.off('upgrade', onUpgrade));
    const answers = options.refusePlainRequests !== false || options.refusalLookup !== undefined;
    if (options.interceptRequests === true && answers) {
      const previous = http.listeners('request') as RequestListener[];
      const onRequest: RequestListener = (request, response) => {
        if (this.answerPlainRequest(request, response)) return;
        for (const listener of previous) listener.call(http, request, response);
      };
      http.removeAllListeners('request');
      http.on('request', onRequest);
      this.detachers.push(() => {
        http.off('request', onRequest);
        for (const listener of previous) http.on('request', listener);
      });
    }
    if (isHttp2Server(http)) {
      // No request-head deadline on HTTP/2 (see WebSocketServer.attach).
      const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void =>
        this.route(fromHttp2Stream(stream, headers), stream, EMPTY);
      this.detachers.push(onExtendedConnect(http, onStream));
      return;
    }
    // After the interception above, which would take the guard's request listener for the app's.
    this.detachers.push(limitHeadsOf(http, options.fallback ?? {}));
  }

  /** Serves `path` exactly with `server`; `undefined` serves every path no other endpoint has. */
  add(path: string | undefined, server: WebSocketServer): void {
    if (this.endpoints.has(path))
      throw new Error(`an endpoint already serves ${path ?? 'every path'} on this server`);
    this.endpoints.set(path, server);
  }

  has(path: string | undefined): boolean {
    return this.endpoints.has(path);
  }

  /** The server for a request path: its exact endpoint first, else the one for every path. */
  serverFor(path: string): WebSocketServer | undefined {
    return this.endpoints.get(path) ?? this.endpoints.get(undefined);
  }

  /** The refusal lookup, and 426 for a plain request to an endpoint's path; false otherwise. */
  answerPlainRequest(request: IncomingMessage, response: ServerResponse): boolean {
    const journal = this.options.refusalLookup;
    if (journal !== undefined && answerRefusalLookup(request, response, journal)) return true;
    if (this.options.refusePlainRequests === false) return false;
    if (this.serverFor(pathOf(request.url)) === undefined) return false;
    refusePlainRequest(request, response);
    return true;
  }

  /** Stops routing (the endpoints' servers stay as they are); closes `http` if the router owns it. */
  async close(): Promise<void> {
    for (const detach of this.detachers.splice(0)) detach();
    await this.fallback.close();
    if (!this.ownsServer) return;
    const http = this.http;
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    requestHeadArrived(socket);
    this.route(fromIncomingMessage(request), socket, head);
  }

  private route(handshake: HandshakeRequest, socket: Duplex, head: Buffer): void {
    const server = this.serverFor(handshake.path);
    if (server === undefined) {
      if (handshake.transport === 'h2')
        this.fallback.refuse(
          handshake,
          socket,
          'WSG_PATH_NOT_FOUND',
          `no WebSocket endpoint at ${handshake.path}`,
        );
      else this.fallback.refuseUnhandled(this.http, handshake, socket);
      return;
    }
    server.handleUpgrade(handshake, socket, head).catch((error: unknown) => {
      // Core answers every refusal itself; a rejection here is a bug, and the socket's state
      // (101 written or not) is unknown, so it can only be cut. Logged, never silent.
      server.options.onLog?.({
        ...logEventForException('connection', error, {
          remoteAddress: handshake.remoteAddress,
          path: handshake.path,
        }),
        event: 'wsgate.handshake.failed',
      });
      socket.destroy();
    });
  }
}

/**
 * An HTTP server listening on `port` for WebSocket endpoints alone, with its router: a plain
 * request gets 426 on an endpoint's path and 404 WSG_PATH_NOT_FOUND elsewhere. The router's
 * `close` closes the server too.
 */
export function listenForUpgrades(
  port: number,
  host: string | undefined,
  options: Omit<UpgradeRouterOptions, 'interceptRequests'> = {},
): UpgradeRouter {
  const http = createServer((request, response) => {
    if (router.answerPlainRequest(request, response)) return;
    sendRefusal(response, 'WSG_PATH_NOT_FOUND', {
      detail: `no WebSocket endpoint at ${pathOf(request.url)}`,
      accept: request.headers.accept,
    });
  });
  const router = new UpgradeRouter(http, options, true);
  if (host === undefined) http.listen(port);
  else http.listen(port, host);
  return router;
}
