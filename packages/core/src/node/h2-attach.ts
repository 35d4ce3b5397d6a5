import type {
  Http2SecureServer,
  Http2Server,
  Http2ServerRequest,
  Http2Session,
  IncomingHttpHeaders,
  ServerHttp2Stream,
} from 'node:http2';
import { logEventForException } from '../errors/log-event.js';
import { holdConnectProtocol } from './h2-extended-connect.js';
import { refuseFailedHook, refuseHandshake } from './handshake-refusal.js';
import { fromHttp2Stream, type HandshakeRequest } from './handshake-request.js';
import type { WebSocketServer } from './server.js';

/** A Node HTTP/2 server, with TLS (`createSecureServer`) or cleartext h2c (`createServer`). */
export type AnyHttp2Server = Http2Server | Http2SecureServer;

/** Whether `server` is a Node HTTP/2 server rather than an http or https one. */
export function isHttp2Server(server: object): server is AnyHttp2Server {
  return typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
}

const EMPTY = Buffer.alloc(0);

/**
 * The WebSocket endpoints of one HTTP/2 server (RFC 8441): it advertises
 * SETTINGS_ENABLE_CONNECT_PROTOCOL to new sessions while at least one endpoint is attached,
 * routes each extended CONNECT stream to the endpoint of its path (404 WSG_PATH_NOT_FOUND when
 * none serves it), and once an endpoint has shut down sends GOAWAY on the sessions that carried
 * its WebSockets, so that their clients open new sessions elsewhere.
 */
class ExtendedConnectRouter {
  readonly #endpoints: WebSocketServer[] = [];
  /** The sessions each endpoint's WebSockets ran on, for the GOAWAY after its shutdown. */
  readonly #sessions = new Map<WebSocketServer, Set<Http2Session>>();
  readonly #onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void =>
    this.#stream(stream, headers);
  readonly #onConnect = (request: Http2ServerRequest): void => this.#compatConnect(request);
  readonly #releaseSetting: () => void;

  constructor(private readonly http2: AnyHttp2Server) {
    // RFC 8441 §3: extended CONNECT is allowed only once the server has sent this setting. Node
    // sends it to the sessions that start from now on.
    this.#releaseSetting = holdConnectProtocol(http2);
    http2.on('stream', this.#onStream);
    // With Node's compatibility API (a 'request' listener), a CONNECT also comes as 'connect',
    // and is answered 405 when nobody listens: this listener keeps Node from answering ours.
    http2.on('connect', this.#onConnect);
  }

  get empty(): boolean {
    return this.#endpoints.length === 0;
  }

  add(server: WebSocketServer): void {
    this.#endpoints.push(server);
    this.#sessions.set(server, new Set());
  }

  remove(server: WebSocketServer): void {
    const index = this.#endpoints.indexOf(server);
    if (index !== -1) this.#endpoints.splice(index, 1);
    this.#sessions.delete(server);
    if (this.#endpoints.length > 0) return;
    const { http2 } = this;
    http2.off('stream', this.#onStream);
    http2.off('connect', this.#onConnect);
    this.#releaseSetting();
  }

  /** After `server` shut down (1001 to each of its connections): GOAWAY on its sessions. */
  shutDown(server: WebSocketServer): void {
    for (const session of this.#sessions.get(server) ?? []) {
      // RFC 9113 §6.8: a graceful GOAWAY; streams already open (plain requests) complete.
      if (!session.closed && !session.destroyed) session.close();
    }
    this.remove(server);
  }

  #stream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    if (headers[':method'] !== 'CONNECT') return;
    const first = this.#endpoints[0];
    if (first === undefined) return;
    const request = fromHttp2Stream(stream, headers);
    if (headers[':protocol'] === undefined) {
      // A plain CONNECT (a TCP tunnel) belongs to the application's own listeners, if any: the
      // 'connect' listeners of the compatibility API, or other 'stream' listeners.
      if (this.http2.listenerCount('request') > 0 || this.http2.listenerCount('stream') > 1) return;
      this.#refuse(first, request, stream);
      return;
    }
    const server = this.#endpointFor(request, stream);
    if (server === undefined) return;
    this.#track(server, stream.session);
    server.handleUpgrade(request, stream, EMPTY).catch((error: unknown) => {
      // As in UpgradeRouter: core answers refusals itself, so a rejection is a bug; logged.
      server.options.onLog?.({
        ...logEventForException('connection', error, {
          remoteAddress: request.remoteAddress,
          path: request.path,
        }),
        event: 'wsgate.handshake.failed',
      });
      stream.destroy();
    });
  }

  #compatConnect(request: Http2ServerRequest): void {
    // Extended CONNECT streams are taken by the 'stream' listener above.
    if (request.headers[':protocol'] !== undefined) return;
    const first = this.#endpoints[0];
    if (first === undefined || this.http2.listenerCount('connect') > 1) return;
    this.#refuse(first, fromHttp2Stream(request.stream, request.headers), request.stream);
  }

  #refuse(server: WebSocketServer, request: HandshakeRequest, stream: ServerHttp2Stream): void {
    refuseHandshake(
      server.options,
      request,
      stream,
      'WSG_H2_PROTOCOL_MISSING',
      'a CONNECT without :protocol',
    );
  }

  /** The endpoint serving the request's path; undefined once refused (404, or 500 for a throwing path function). */
  #endpointFor(request: HandshakeRequest, stream: ServerHttp2Stream): WebSocketServer | undefined {
    for (const server of this.#endpoints) {
      try {
        if (server.servesPath(request.path)) return server;
      } catch (error) {
        refuseFailedHook(server.options, request, stream, error);
        return undefined;
      }
    }
    const fallback = this.#endpoints[0] as WebSocketServer;
    fallback.refuse(
      request,
      stream,
      'WSG_PATH_NOT_FOUND',
      `no WebSocket endpoint at ${request.path}`,
    );
    return undefined;
  }

  #track(server: WebSocketServer, session: Http2Session | undefined): void {
    const sessions = this.#sessions.get(server);
    if (session === undefined || sessions === undefined || sessions.has(session)) return;
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  }
}

const routers = new WeakMap<AnyHttp2Server, ExtendedConnectRouter>();

/**
 * Serves WebSockets over HTTP/2 on `http2` with `server` (RFC 8441). Returns a function that
 * detaches; the server's shutdown detaches it too, after a GOAWAY on the sessions it used.
 */
export function attachToHttp2(http2: AnyHttp2Server, server: WebSocketServer): () => void {
  let router = routers.get(http2);
  if (router === undefined) {
    router = new ExtendedConnectRouter(http2);
    routers.set(http2, router);
  }
  const attached = router;
  attached.add(server);
  const detach = (): void => {
    server.off('close', onClose);
    attached.remove(server);
    if (attached.empty && routers.get(http2) === attached) routers.delete(http2);
  };
  const onClose = (): void => {
    server.off('close', onClose);
    attached.shutDown(server);
    if (attached.empty && routers.get(http2) === attached) routers.delete(http2);
  };
  server.on('close', onClose);
  return detach;
}
