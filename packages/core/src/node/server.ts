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
import { type HandshakeCode, isHandshakeCode } from '../errors/catalogue.js';
import { closeReasonFor } from '../errors/close-reason.js';
import { handshakeErrorRefusal, readHttpError } from '../errors/http-error.js';
import { buildRefusal } from '../errors/http-refusal.js';
import { type LogEvent, logEventFor, logEventForException } from '../errors/log-event.js';
import { CloseCode } from '../protocol/close.js';
import {
  type HandshakeOutcome,
  type HandshakePolicy,
  serializeAcceptResponse,
  validateUpgradeRequest,
} from '../protocol/handshake-server.js';
import {
  defaultHeadLimits,
  type HttpHeadLimits,
  HttpRequestParser,
} from '../protocol/http-head.js';
import {
  createDeflateNegotiator,
  type DeflateAgreement,
  type DeflateOptions,
} from '../protocol/permessage-deflate.js';
import type { Backplane, PresenceMember, TopicPosition } from '../topics/backplane.js';
import { defaultBackplane } from '../topics/backplane-node.js';
import {
  type PresenceEvent,
  type PublishOptions,
  type TopicFrame,
  type TopicGap,
  TopicHub,
} from '../topics/topic-hub.js';
import { nodeAcceptKey } from './accept-key.js';
import { type CaptureSetting, captureFor } from './capture.js';
import {
  type ConnectionLimits,
  type ConnectionSettings,
  kSocketOwner,
  resolveConnectionSettings,
  WebSocketConnection,
} from './connection.js';
import {
  fromIncomingMessage,
  fromRequestHead,
  type HandshakeRequest,
} from './handshake-request.js';
import { writeBuiltRefusal, writeHttpResponse } from './refusal.js';
import {
  defaultRefusalJournal,
  type RefusalJournal,
  refusalLookupAnswer,
} from './refusal-journal.js';
import { limitRequestHeads, requestHeadArrived } from './request-head-deadline.js';
import { createSessionCompression } from './zlib-codec.js';

/** A refusal chosen by the application, with its catalogue code. */
export interface UpgradeRefusal {
  readonly refuse: HandshakeCode;
  readonly detail?: string;
  /** e.g. `WWW-Authenticate` for a 401 */
  readonly headers?: Readonly<Record<string, string>>;
  readonly status?: number;
}

/** An application's answer to a handshake: nothing to accept, or a refusal with a catalogue code. */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing accepts the handshake.
export type UpgradeDecision = UpgradeRefusal | undefined | void;

export type PathMatcher = string | readonly string[] | ((path: string) => boolean);

export interface ServerOptions extends ConnectionLimits {
  /** Paths served when standalone or attached; any path when left out. */
  readonly path?: PathMatcher | undefined;
  /** Origin allow-list (403 otherwise); requests without Origin pass unless requireOrigin. */
  readonly origins?: HandshakePolicy['origins'];
  readonly requireOrigin?: boolean | undefined;
  readonly subprotocols?: HandshakePolicy['subprotocols'];
  readonly requireSubprotocol?: boolean | undefined;
  /** permessage-deflate (RFC 7692); on by default. */
  readonly perMessageDeflate?: boolean | DeflateOptions | undefined;
  /** Total connections (503 beyond). */
  readonly maxConnections?: number | undefined;
  /** Connections from one address (503 beyond). */
  readonly maxConnectionsPerAddress?: number | undefined;
  /** Bound on the whole handshake: the request head and the application's hook (408 / 500). */
  readonly handshakeTimeoutMs?: number | undefined;
  /**
   * When attached to an http server: a new connection whose first request head is not complete
   * within `handshakeTimeoutMs` gets 408 WSG_HANDSHAKE_TIMEOUT, as on a standalone server (Node's
   * own bound, `headersTimeout`, is 60 s and checked every 30 s). On by default; false leaves
   * request heads to Node.
   */
  readonly limitRequestHeads?: boolean | undefined;
  readonly maxHeaderBytes?: number | undefined;
  readonly maxHeaderCount?: number | undefined;
  /** Ping every connection at this interval and drop those that stay silent; 0 turns it off. */
  readonly heartbeatIntervalMs?: number | undefined;
  /** Decide on a handshake after the RFC checks: return a refusal, or throw a WsgateError. */
  readonly verifyUpgrade?:
    | ((request: HandshakeRequest) => UpgradeDecision | Promise<UpgradeDecision>)
    | undefined;
  readonly textAs?: 'string' | 'buffer' | undefined;
  /** Receives a structured event for every refusal and failure. */
  readonly onLog?: ((event: LogEvent) => void) | undefined;
  /** Where refusals of tagged browser attempts are recorded (see RefusalJournal); the process-wide one by default. */
  readonly refusalJournal?: RefusalJournal | undefined;
  /** When attached beside other upgrade listeners: how long they get before an unmatched path gets 404. */
  readonly unhandledUpgradeTimeoutMs?: number | undefined;
  /** Record every connection's traffic as pcapng (see `createCapture`); off by default. */
  readonly capture?: CaptureSetting | undefined;
  /**
   * What carries topics between processes (e.g. `RedisBackplane`); by default one in-memory
   * backplane shared by every server of the process. Started on first use, never closed by the server.
   */
  readonly backplane?: Backplane | undefined;
  /** What subscribers receive for a topic message (default: its data, as text or binary). */
  readonly topicFrame?: TopicFrame | undefined;
}

export interface ServerEvents {
  connection: [connection: WebSocketConnection, request: HandshakeRequest];
  close: [];
  /** Someone joined or left the presence of a topic this server's connections subscribe to. */
  presence: [event: PresenceEvent];
  /** Subscribers of a topic missed messages that history no longer had (see TopicGap). */
  gap: [gap: TopicGap];
}

export interface UpgradeOptions {
  /** Extra headers for the 101 answer (e.g. Set-Cookie from a framework, one value per cookie). */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
export const DEFAULT_MAX_CONNECTIONS = 10_000;

function matchPath(matcher: PathMatcher | undefined, path: string): boolean {
  if (matcher === undefined) return true;
  if (typeof matcher === 'string') return matcher === path;
  if (typeof matcher === 'function') return matcher(path);
  return matcher.includes(path);
}

/**
 * The close listener of a server's connections: one function per server, shared by all of them
 * (no closure and no bookkeeping object per connection: memory per idle connection).
 */
function closeListenerFor(server: WebSocketServer): (this: WebSocketConnection) => void {
  return function connectionOnClose(this: WebSocketConnection): void {
    server.connectionClosed(this);
  };
}

/** The request-head deadline of an http server attached to with `options` (see limitRequestHeads). */
export function limitHeadsOf(http: HttpServer | HttpsServer, options: ServerOptions): () => void {
  if (options.limitRequestHeads === false) return () => {};
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  return limitRequestHeads(http, timeoutMs, options.onLog);
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

function startConnection(connection: WebSocketConnection, head: Uint8Array): void {
  connection.start(head);
}

function heartbeatTick(server: WebSocketServer): void {
  for (const client of server.clients) client.heartbeat();
}

/** The handshake's slot on its socket, the one its connection takes over. */
const kHandshake = kSocketOwner;

/** A standalone server's socket until its request head is read: what the listeners below need. */
class PendingHandshake {
  constructor(
    readonly server: WebSocketServer,
    readonly parser: HttpRequestParser,
    /** performance.now() after which the client gets 408 WSG_HANDSHAKE_TIMEOUT. */
    readonly deadline: number,
  ) {}
}

type HandshakeSocket = Socket & { [kHandshake]?: PendingHandshake | undefined };

// Listeners shared by every socket during its handshake, which find its state through a symbol:
// no closures and no timer per connection (handshakes per second, memory per connection).
function handshakeOnData(this: HandshakeSocket, chunk: Buffer): void {
  const pending = this[kHandshake];
  if (pending !== undefined) pending.server.handshakeData(this, pending, chunk);
}
function handshakeOnError(this: HandshakeSocket): void {
  this[kHandshake]?.server.handshakeEnded(this);
  this.destroy();
}
function handshakeOnClose(this: HandshakeSocket): void {
  this[kHandshake]?.server.handshakeEnded(this);
}
function handshakeSweep(server: WebSocketServer): void {
  server.expireHandshakes();
}

/**
 * Accepts WebSocket connections: from any Node http/https server through `handleUpgrade` or
 * `attach`, or standalone on its own port with `listen`.
 */
export class WebSocketServer extends EventEmitter<ServerEvents> {
  readonly clients = new Set<WebSocketConnection>();
  readonly options: ServerOptions;
  readonly #policy: HandshakePolicy<DeflateAgreement>;
  readonly #deflateOptions: DeflateOptions;
  readonly #perAddress = new Map<string, number>();
  /** The peer address of each open connection, kept only with a per-address limit. */
  readonly #addresses = new Map<WebSocketConnection, string>();
  readonly #connectionOnClose = closeListenerFor(this);
  #pendingHandshakes = 0;
  /** Standalone handshakes in progress, oldest first (so also by deadline). */
  readonly #handshakeSockets = new Map<HandshakeSocket, PendingHandshake>();
  /** One timer for every pending handshake's deadline, running while any is pending. */
  #handshakeTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #netServer: NetServer | undefined;
  #closing = false;
  #shutdownPromise: Promise<void> | undefined;
  #headLimits: HttpHeadLimits | undefined;
  /** Resolved with the first connection and shared by all (memory per idle connection). */
  #connectionSettings: ConnectionSettings | undefined;
  readonly #topics: TopicHub;

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
    const deflate = options.perMessageDeflate ?? true;
    this.#deflateOptions = typeof deflate === 'object' ? deflate : {};
    this.#policy = {
      origins: options.origins,
      requireOrigin: options.requireOrigin,
      subprotocols: options.subprotocols,
      requireSubprotocol: options.requireSubprotocol,
      extensions: deflate === false ? undefined : createDeflateNegotiator(this.#deflateOptions),
      acceptKey: nodeAcceptKey,
    };
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
      this.#hookFailed(request, socket, error);
      return undefined;
    }
  }

  /** An application function threw during a handshake: logged with its stack, answered 500 without it. */
  #hookFailed(request: HandshakeRequest, socket: Duplex, error: unknown): void {
    this.options.onLog?.(
      logEventForException('handshake', error, {
        remoteAddress: request.remoteAddress,
        path: request.path,
      }),
    );
    this.refuse(request, socket, 'WSG_HOOK_FAILED');
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
    return this.#upgrade(handshake, socket, head, options);
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
    const accept = request?.headers.accept;
    const refusal = buildRefusal(code, {
      ...(detail === undefined ? {} : { detail }),
      accept: Array.isArray(accept) ? accept.join(', ') : accept,
      ...(headers === undefined ? {} : { headers }),
      ...(status === undefined ? {} : { status }),
    });
    // The refusal's own code: WSG_RESPONSE_HEADER_INVALID when `headers` could not be written.
    this.options.onLog?.(
      logEventFor(refusal.code, {
        detail: refusal.detail,
        remoteAddress: request?.remoteAddress,
        path: request?.path,
      }),
    );
    if (request !== undefined) {
      (this.options.refusalJournal ?? defaultRefusalJournal).recordFor(
        request,
        refusal.code,
        refusal.status,
      );
    }
    writeBuiltRefusal(socket, refusal);
  }

  async #upgrade(
    request: HandshakeRequest,
    socket: Duplex,
    head: Uint8Array,
    options: UpgradeOptions,
  ): Promise<WebSocketConnection | undefined> {
    // Until a connection or a refusal owns the socket (the hook may take a while), a client that
    // resets must not raise an 'error' nobody listens to: that would end the process.
    socket.on('error', destroyOnError);
    if (this.options.capture !== undefined)
      captureFor(this, this.options.capture)?.trackUpgrade(request, socket, head);
    if (this.#closing) {
      this.refuse(request, socket, 'WSG_SERVER_SHUTTING_DOWN');
      return undefined;
    }
    let outcome: HandshakeOutcome<DeflateAgreement>;
    try {
      // The origin and subprotocol policies may be application functions: one that throws is a
      // failed hook (500, logged), not an unhandled rejection that ends the process.
      outcome = validateUpgradeRequest(request, this.#policy);
    } catch (error) {
      this.#hookFailed(request, socket, error);
      return undefined;
    }
    if (!outcome.accepted) {
      this.refuse(request, socket, outcome.code, outcome.detail);
      return undefined;
    }
    const maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (this.clients.size + this.#pendingHandshakes >= maxConnections) {
      this.refuse(
        request,
        socket,
        'WSG_TOO_MANY_CONNECTIONS',
        `${maxConnections} connections are open`,
      );
      return undefined;
    }
    const perAddressLimit = this.options.maxConnectionsPerAddress ?? 0;
    // Only a per-address limit needs the peer's address (a system call per socket).
    const address = perAddressLimit > 0 ? (request.remoteAddress ?? '') : undefined;
    if (address !== undefined && (this.#perAddress.get(address) ?? 0) >= perAddressLimit) {
      this.refuse(
        request,
        socket,
        'WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT',
        `${perAddressLimit} connections from this address are open`,
      );
      return undefined;
    }
    if (address !== undefined)
      this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    this.#pendingHandshakes++;
    let counted = address !== undefined;
    const release = (): void => {
      if (!counted || address === undefined) return;
      counted = false;
      this.#forgetAddress(address);
    };
    try {
      const verify = this.options.verifyUpgrade;
      if (verify !== undefined) {
        const decision = await this.#runHook(request, socket, verify);
        if (decision === 'failed') {
          release();
          return undefined;
        }
        if (decision?.refuse !== undefined) {
          release();
          this.refuse(
            request,
            socket,
            decision.refuse,
            decision.detail,
            decision.headers,
            decision.status,
          );
          return undefined;
        }
      }
      if (socket.destroyed || !socket.writable) {
        release();
        return undefined;
      }
      if (this.#closing) {
        release();
        this.refuse(request, socket, 'WSG_SERVER_SHUTTING_DOWN');
        return undefined;
      }
      let accept: string;
      try {
        accept = serializeAcceptResponse(outcome, options.headers);
      } catch (error) {
        // Only an extra header that cannot be written (RFC 9110 §5.5) makes it throw.
        release();
        this.refuse(request, socket, 'WSG_RESPONSE_HEADER_INVALID', (error as Error).message);
        return undefined;
      }
      socket.write(accept);
      this.#connectionSettings ??= {
        ...resolveConnectionSettings({
          side: 'server',
          maxMessageBytes: this.options.maxMessageBytes,
          closeTimeoutMs: this.options.closeTimeoutMs,
          idleTimeoutMs: this.options.idleTimeoutMs,
          maxMessagesPerSecond: this.options.maxMessagesPerSecond,
          clock: this.options.clock,
          maxBufferedBytes: this.options.maxBufferedBytes,
          slowConsumerPolicy: this.options.slowConsumerPolicy,
          textAs: this.options.textAs,
          log: this.options.onLog,
        }),
        topics: this.#topics,
      };
      const connection = new WebSocketConnection(
        socket,
        {
          side: 'server',
          subprotocol: outcome.subprotocol,
          extensions: outcome.extensionsHeader,
          compression:
            outcome.extension === undefined
              ? undefined
              : createSessionCompression(outcome.extension, 'server', this.#deflateOptions),
        },
        this.#connectionSettings,
      );
      socket.off('error', destroyOnError);
      this.clients.add(connection);
      counted = false; // from here on, connectionClosed releases the address
      if (address !== undefined) this.#addresses.set(connection, address);
      connection.on('close', this.#connectionOnClose);
      this.#startHeartbeat();
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
      // Read the bytes that came with the head only after the caller of handleUpgrade has had the
      // connection: its `await` resumes in a microtask, before this macrotask, so the listeners it
      // attaches see the first messages too (a client may send them in the handshake's TCP write).
      setImmediate(startConnection, connection, head);
      return connection;
    } finally {
      this.#pendingHandshakes--;
    }
  }

  async #runHook(
    request: HandshakeRequest,
    socket: Duplex,
    verify: NonNullable<ServerOptions['verifyUpgrade']>,
  ): Promise<UpgradeRefusal | undefined | 'failed'> {
    const timeoutMs = this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`verifyUpgrade did not settle within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      const decision =
        (await Promise.race([Promise.resolve().then(() => verify(request)), timeout])) || undefined;
      // A JavaScript hook is not held to the type: a code without a status is its failure.
      if (decision !== undefined && !isHandshakeCode(decision.refuse))
        throw new TypeError(
          `verifyUpgrade refused with ${String(decision.refuse)}, which is not a handshake code of the catalogue`,
        );
      return decision;
    } catch (error) {
      const named = handshakeErrorRefusal(error);
      if (named !== undefined) {
        return {
          refuse: named.code,
          ...(named.detail === undefined ? {} : { detail: named.detail }),
        };
      }
      this.options.onLog?.(
        logEventForException('handshake', error, {
          remoteAddress: request.remoteAddress,
          path: request.path,
        }),
      );
      // A server error the hook chose (an HTTP error with a 5xx) keeps its status.
      const status = readHttpError(error).status;
      const chosen = status !== undefined && status >= 500 && status <= 599 ? status : undefined;
      this.refuse(request, socket, 'WSG_HOOK_FAILED', undefined, undefined, chosen);
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  }

  // --- attaching to an http server ------------------------------------------------------

  /**
   * Serves upgrades of an http/https server on the paths of the `path` option. An upgrade for
   * another path gets 404, at once when no other upgrade listener exists, else after
   * `unhandledUpgradeTimeoutMs` if no other listener answered it. Returns a function that detaches.
   */
  attach(server: HttpServer): () => void {
    const stopLimitingHeads = limitHeadsOf(server, this.options);
    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      requestHeadArrived(socket);
      const handshake = fromIncomingMessage(request);
      const served = this.#pathServed(handshake, socket);
      if (served === undefined) return;
      if (served) {
        void this.#upgrade(handshake, socket, head, {});
        return;
      }
      this.refuseUnhandled(server, handshake, socket);
    };
    server.on('upgrade', onUpgrade);
    return () => {
      server.off('upgrade', onUpgrade);
      stopLimitingHeads();
    };
  }

  /** @internal 404 for an upgrade no listener takes: at once when alone, else after a grace period. */
  refuseUnhandled(server: HttpServer, request: HandshakeRequest, socket: Duplex): void {
    if (server.listenerCount('upgrade') <= 1) {
      this.#refusePathNotFound(request, socket);
      return;
    }
    const timer = setTimeout(() => {
      const untouched = !socket.destroyed && (socket as Partial<Socket>).bytesWritten === 0;
      if (untouched) this.#refusePathNotFound(request, socket);
    }, this.options.unhandledUpgradeTimeoutMs ?? 1_000);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  #refusePathNotFound(request: HandshakeRequest, socket: Duplex): void {
    this.refuse(request, socket, 'WSG_PATH_NOT_FOUND', `no WebSocket endpoint at ${request.path}`);
  }

  // --- standalone -----------------------------------------------------------------------

  /** Listens on its own port; every request is a handshake (plain HTTP gets 426). */
  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    if (this.#netServer !== undefined)
      return Promise.reject(new Error('this WebSocketServer already listens'));
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
    if (this.#closing) {
      socket.destroy();
      return;
    }
    if (this.options.capture !== undefined)
      captureFor(this, this.options.capture)?.track(socket, 'server');
    this.#headLimits ??= {
      maxHeaderBytes: this.options.maxHeaderBytes ?? defaultHeadLimits.maxHeaderBytes,
      maxHeaderCount: this.options.maxHeaderCount ?? defaultHeadLimits.maxHeaderCount,
    };
    const timeoutMs = this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const pending = new PendingHandshake(
      this,
      new HttpRequestParser(this.#headLimits),
      performance.now() + timeoutMs,
    );
    const handshakeSocket = socket as HandshakeSocket;
    handshakeSocket[kHandshake] = pending;
    this.#handshakeSockets.set(handshakeSocket, pending);
    if (this.#handshakeTimer === undefined) {
      // A deadline is checked a quarter of the timeout after it at the latest.
      this.#handshakeTimer = setInterval(handshakeSweep, Math.max(10, timeoutMs / 4), this);
      this.#handshakeTimer.unref();
    }
    socket.on('data', handshakeOnData);
    socket.on('error', handshakeOnError);
    socket.on('close', handshakeOnClose);
  }

  /**
   * Ends a standalone handshake's bookkeeping; its listeners are removed so that an open
   * connection keeps nothing of its handshake (memory per idle connection).
   * @internal
   */
  handshakeEnded(socket: Socket): void {
    const handshakeSocket = socket as HandshakeSocket;
    if (handshakeSocket[kHandshake] === undefined) return;
    handshakeSocket[kHandshake] = undefined;
    socket.off('data', handshakeOnData);
    socket.off('error', handshakeOnError);
    socket.off('close', handshakeOnClose);
    this.#handshakeSockets.delete(handshakeSocket);
  }

  /** @internal Answers 408 to the handshakes past their deadline; stops the timer when none is left. */
  expireHandshakes(): void {
    const now = performance.now();
    const timeoutMs = this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    for (const [socket, pending] of this.#handshakeSockets) {
      if (pending.deadline > now) break;
      this.handshakeEnded(socket);
      this.refuse(
        undefined,
        socket,
        'WSG_HANDSHAKE_TIMEOUT',
        `no complete request head within ${timeoutMs} ms`,
      );
    }
    if (this.#handshakeSockets.size === 0 && this.#handshakeTimer !== undefined) {
      clearInterval(this.#handshakeTimer);
      this.#handshakeTimer = undefined;
    }
  }

  /** @internal Bytes of a standalone handshake: the request head, then the upgrade. */
  handshakeData(socket: Socket, pending: PendingHandshake, chunk: Buffer): void {
    const result = pending.parser.push(chunk);
    if (result.state === 'incomplete') return;
    this.handshakeEnded(socket);
    socket.pause();
    if (result.state === 'failed') {
      this.refuse(undefined, socket, result.fault, result.detail);
      return;
    }
    const request = fromRequestHead(result.head, socket);
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
    void this.#upgrade(request, socket, result.rest, {});
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
    const address = this.#addresses.get(connection);
    if (address !== undefined) {
      this.#addresses.delete(connection);
      this.#forgetAddress(address);
    }
    this.#stopHeartbeatWhenIdle();
  }

  #forgetAddress(address: string): void {
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left <= 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, left);
  }

  #startHeartbeat(): void {
    const interval = this.options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    if (this.#heartbeatTimer !== undefined || interval <= 0) return;
    this.#heartbeatTimer = setInterval(heartbeatTick, interval, this);
    this.#heartbeatTimer.unref();
  }

  #stopHeartbeatWhenIdle(): void {
    if (this.clients.size === 0 && this.#heartbeatTimer !== undefined) {
      clearInterval(this.#heartbeatTimer);
      this.#heartbeatTimer = undefined;
    }
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
    for (const socket of this.#handshakeSockets.keys()) socket.destroy();
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
    if (this.#heartbeatTimer !== undefined) clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    if (this.#handshakeTimer !== undefined) clearInterval(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
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
