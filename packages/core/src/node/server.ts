import { EventEmitter } from 'node:events';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { Duplex } from 'node:stream';
import type { HandshakeCode } from '../errors/catalogue.js';
import { closeReasonFor } from '../errors/close-reason.js';
import { logEventForException } from '../errors/log-event.js';
import { connectionClosed, connectionOpened } from '../observability/hooks.js';
import { CloseCode } from '../protocol/close.js';
import type { HttpRequestHead } from '../protocol/http-head.js';
import type { PresenceMember, TopicPosition } from '../topics/backplane.js';
import { defaultBackplane } from '../topics/backplane-node.js';
import { type PublishOptions, TopicHub } from '../topics/topic-hub.js';
import { Admission } from './admission.js';
import { captureFor } from './capture.js';
import type { ConnectionEvents, WebSocketConnection } from './connection.js';
import { type AnyHttp2Server, attachToHttp2, isHttp2Server } from './h2-attach.js';
import { HandshakePipeline } from './handshake-pipeline.js';
import { refuseFailedHook, refuseHandshake } from './handshake-refusal.js';
import {
  fromIncomingMessage,
  fromRequestHead,
  type HandshakeRequest,
} from './handshake-request.js';
import { Heartbeat } from './heartbeat.js';
import { writeHttpResponse } from './refusal.js';
import { refusalLookupAnswer } from './refusal-journal.js';
import { limitRequestHeads, requestHeadArrived } from './request-head-deadline.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  matchPath,
  type ServerEvents,
  type ServerOptions,
  type UpgradeOptions,
} from './server-options.js';
import { StandaloneHandshakes } from './standalone-handshakes.js';
import { refuseWhenUnhandled } from './unhandled-upgrade.js';

export type {
  PathMatcher,
  ServerEvents,
  ServerOptions,
  UpgradeDecision,
  UpgradeOptions,
  UpgradeRefusal,
} from './server-options.js';
export {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MAX_BUFFERED_BYTES_TOTAL,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_MAX_PENDING_HANDSHAKES,
} from './server-options.js';

/**
 * The close listener of a server's connections: one function per server, shared by all of them
 * (no closure and no bookkeeping object per connection: memory per idle connection).
 */
function closeListenerFor(
  server: WebSocketServer,
): (this: WebSocketConnection, ...close: ConnectionEvents['close']) => void {
  return function connectionOnClose(this: WebSocketConnection, code, reason, error): void {
    server.connectionClosed(this);
    connectionClosed(this, code, reason, error);
  };
}

/** The request-head deadline of an http server attached to with `options` (see limitRequestHeads). */
export function limitHeadsOf(http: HttpServer | HttpsServer, options: ServerOptions): () => void {
  if (options.limitRequestHeads === false) return () => {};
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const maxPending = options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES;
  return limitRequestHeads(http, timeoutMs, options.onLog, maxPending);
}

/**
 * Accepts WebSocket connections: from any Node http/https server through `handleUpgrade` or
 * `attach`, or standalone on its own port with `listen`.
 */
export class WebSocketServer extends EventEmitter<ServerEvents> {
  readonly clients = new Set<WebSocketConnection>();
  readonly options: ServerOptions;
  readonly #admission: Admission;
  readonly #pipeline: HandshakePipeline;
  readonly #heartbeat: Heartbeat;
  readonly #topics: TopicHub;
  readonly #connectionOnClose = closeListenerFor(this);
  /** A standalone server's handshakes until their request heads arrive. */
  #standalone: StandaloneHandshakes | undefined;
  #netServer: NetServer | undefined;
  #closing = false;
  #shutdownPromise: Promise<void> | undefined;

  constructor(options: ServerOptions = {}) {
    super();
    this.options = options;
    this.#topics = new TopicHub(
      options.backplane,
      options.topicFrame,
      {
        gap: (gap) => this.emit('gap', gap),
        presence: (event) => this.emit('presence', event),
      },
      defaultBackplane,
    );
    this.#admission = new Admission(options);
    this.#heartbeat = new Heartbeat(
      this.clients,
      options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    );
    const server = this;
    this.#pipeline = new HandshakePipeline(options, this.#admission, {
      get closing() {
        return server.#closing;
      },
      get openConnections() {
        return server.clients.size;
      },
      refuse: (request, socket, code, detail, headers, status) =>
        this.refuse(request, socket, code, detail, headers, status),
      opened: (connection, request) => this.#opened(connection, request),
      topics: this.#topics,
    });
  }

  /** @internal Whether `path` is one this server serves (see the `path` option). */
  servesPath(path: string): boolean {
    return matchPath(this.options.path, path);
  }

  /** `servesPath` for a handshake; undefined when a path function threw (answered with 500). */
  #pathServed(request: HandshakeRequest, socket: Duplex): boolean | undefined {
    try {
      return this.servesPath(request.path);
    } catch (error) {
      refuseFailedHook(this.options, request, socket, error);
      return undefined;
    }
  }

  // --- handshakes -----------------------------------------------------------------------

  /**
   * Completes or refuses the handshake of an upgrade request from a Node http server. Resolves
   * with the connection, or undefined when the handshake was refused (the answer is written).
   */
  handleUpgrade(
    request: IncomingMessage | HandshakeRequest,
    socket: Duplex,
    head: Uint8Array = Buffer.alloc(0),
    options: UpgradeOptions = {},
  ): Promise<WebSocketConnection | undefined> {
    const handshake = 'incoming' in request ? request : fromIncomingMessage(request);
    return this.#pipeline.run(handshake, socket, head, options, this);
  }

  /** @internal Refuses a handshake with a catalogue code, logging it. */
  refuse(
    request: HandshakeRequest | undefined,
    socket: Duplex,
    code: HandshakeCode,
    detail?: string,
    headers?: Readonly<Record<string, string>>,
    status?: number,
  ): void {
    refuseHandshake(this.options, request, socket, code, detail, headers, status);
  }

  #opened(connection: WebSocketConnection, request: HandshakeRequest): void {
    this.clients.add(connection);
    connectionOpened(connection, request);
    connection.on('close', this.#connectionOnClose);
    this.#heartbeat.start();
    try {
      this.emit('connection', connection, request);
    } catch (error) {
      // An application bug, handled as for a throwing message listener: logged, closed with
      // 1011. Rethrown, it would reject an upgrade nobody awaits (a crash) and leave the
      // connection open and unread.
      this.options.onLog?.(
        logEventForException('connection', error, {
          remoteAddress: request.remoteAddress,
          path: request.path,
        }),
      );
      connection.fail('WSG_INTERNAL_ERROR', 'a connection listener threw');
    }
  }

  // --- attaching to an http server ------------------------------------------------------

  /**
   * Serves upgrades of an http/https server on the paths of the `path` option. An upgrade for
   * another path gets 404, at once when no other upgrade listener exists, else after
   * `unhandledUpgradeTimeoutMs` if no other listener answered it. Returns a function that detaches.
   *
   * An HTTP/2 server (`http2.createSecureServer`, or `http2.createServer` for h2c) also gets
   * WebSockets over HTTP/2 streams (RFC 8441), and HTTP/1.1 upgrades when made with `allowHTTP1`.
   */
  attach(server: HttpServer | HttpsServer | AnyHttp2Server): () => void {
    // An HTTP/2 server gets no request-head deadline: its guard would time HTTP/2 sessions,
    // which send no HTTP/1 head, and its 'request' listener would turn on Node's compatibility API.
    const detachMore = isHttp2Server(server)
      ? attachToHttp2(server, this)
      : limitHeadsOf(server, this.options);
    const http = server as HttpServer;
    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      requestHeadArrived(socket);
      const handshake = fromIncomingMessage(request);
      const served = this.#pathServed(handshake, socket);
      if (served === undefined) return;
      if (served) {
        void this.#pipeline.run(handshake, socket, head, {}, this);
        return;
      }
      this.refuseUnhandled(http, handshake, socket);
    };
    http.on('upgrade', onUpgrade);
    return () => {
      http.off('upgrade', onUpgrade);
      detachMore();
    };
  }

  /** @internal 404 for an upgrade no listener takes: at once when alone, else after a grace period. */
  refuseUnhandled(server: HttpServer, request: HandshakeRequest, socket: Duplex): void {
    refuseWhenUnhandled(server, socket, this.options.unhandledUpgradeTimeoutMs ?? 1_000, () =>
      this.#refusePathNotFound(request, socket),
    );
  }

  #refusePathNotFound(request: HandshakeRequest, socket: Duplex): void {
    this.refuse(request, socket, 'WSG_PATH_NOT_FOUND', `no WebSocket endpoint at ${request.path}`);
  }

  // --- standalone -----------------------------------------------------------------------

  /** Listens on its own port; every request is a handshake (plain HTTP gets 426). */
  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    if (this.#netServer !== undefined)
      return Promise.reject(new Error('this WebSocketServer already listens'));
    this.#standalone = new StandaloneHandshakes(this.options, {
      requestHeadRead: (socket, head, rest) => this.#requestHeadRead(socket, head, rest),
      requestHeadFailed: (socket, code, detail) => this.refuse(undefined, socket, code, detail),
    });
    const netServer = createNetServer({ noDelay: true }, (socket) => this.#acceptTcp(socket));
    this.#netServer = netServer;
    return new Promise((resolve, reject) => {
      netServer.once('error', reject);
      netServer.listen(port, host, () => {
        netServer.off('error', reject);
        resolve(netServer.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | undefined {
    return (this.#netServer?.address() as AddressInfo | null) ?? undefined;
  }

  #acceptTcp(socket: Socket): void {
    if (this.#closing || this.#standalone === undefined) {
      socket.destroy();
      return;
    }
    if (this.options.capture !== undefined)
      captureFor(this, this.options.capture)?.track(socket, 'server');
    this.#standalone.add(socket);
  }

  /** A standalone request head: a refusal lookup (see RefusalJournal), a 404, or an upgrade. */
  #requestHeadRead(socket: Socket, head: HttpRequestHead, rest: Uint8Array): void {
    const request = fromRequestHead(head, socket);
    const lookup =
      request.headers.upgrade === undefined
        ? refusalLookupAnswer(
            request.method,
            request.url,
            socket.remoteAddress ?? '',
            this.options.refusalJournal,
            request.headers,
          )
        : undefined;
    if (lookup !== undefined) {
      writeHttpResponse(
        socket,
        lookup.status,
        lookup.headers,
        request.method === 'HEAD' ? '' : lookup.body,
      );
      return;
    }
    const served = this.#pathServed(request, socket);
    if (served === undefined) return;
    if (!served) {
      this.#refusePathNotFound(request, socket);
      return;
    }
    void this.#pipeline.run(request, socket, rest, {}, this);
  }

  // --- topics (see topics/topic-hub.ts) ---------------------------------------------------

  /** Publishes to every subscriber of the topic on the backplane; resolves with the message's position. */
  publish(
    topic: string,
    data: string | Uint8Array,
    options?: PublishOptions,
  ): Promise<TopicPosition> {
    return this.#topics.publish(topic, data, options);
  }

  /** The members of the topic's presence, on every process of the backplane. */
  presence(topic: string): Promise<readonly PresenceMember[]> {
    return this.#topics.presence(topic);
  }

  // --- lifecycle ------------------------------------------------------------------------

  /** @internal Forgets a closed connection: the client set, the count for its address, the heartbeat. */
  connectionClosed(connection: WebSocketConnection): void {
    if (!this.clients.delete(connection)) return;
    this.#admission.connectionClosed(connection);
    this.#heartbeat.stopWhenIdle();
  }

  /**
   * Graceful shutdown: refuse new handshakes (503), close every connection with 1001, wait for
   * the closing handshakes up to `timeoutMs`, then terminate what is left.
   */
  close(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    // A second call (a signal handler, then a test's teardown) waits for the same shutdown
    // instead of resolving while connections are still open.
    this.#shutdownPromise ??= this.#shutDown(options);
    return this.#shutdownPromise;
  }

  async #shutDown(options: { readonly timeoutMs?: number }): Promise<void> {
    this.#closing = true;
    const netServer = this.#netServer;
    const listening =
      netServer === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => netServer.close(() => resolve()));
    this.#standalone?.destroyAll();
    const closed = [...this.clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          if (client.readyState === 3) {
            resolve();
            return;
          }
          client.once('close', () => resolve());
          client.close(CloseCode.goingAway, closeReasonFor('WSG_SERVER_SHUTDOWN'));
        }),
    );
    const timeoutMs = options.timeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    for (const client of this.clients) client.terminate();
    // Sockets close (and release their connections) a moment after destroy(): wait for that,
    // so that `clients` is empty once close() resolves.
    await Promise.all(closed);
    this.#heartbeat.stop();
    this.#standalone?.stop();
    this.#topics.close();
    await listening;
    this.emit('close');
  }
}

/** A standalone server listening on `port` (0 picks a free one). */
export async function createServer(
  options: ServerOptions & { readonly port?: number; readonly host?: string } = {},
): Promise<WebSocketServer> {
  const server = new WebSocketServer(options);
  await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return server;
}
