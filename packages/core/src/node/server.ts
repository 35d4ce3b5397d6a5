import { EventEmitter } from 'node:events';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../errors/catalogue.js';
import { closeReasonFor } from '../errors/close-reason.js';
import { buildRefusal } from '../errors/http-refusal.js';
import { type LogEvent, logEventFor, logEventForException } from '../errors/log-event.js';
import { isWsgateError } from '../errors/wsgate-error.js';
import { CloseCode } from '../protocol/close.js';
import {
  type HandshakePolicy,
  serializeAcceptResponse,
  validateUpgradeRequest,
} from '../protocol/handshake-server.js';
import { defaultHeadLimits, HttpRequestParser } from '../protocol/http-head.js';
import {
  createDeflateNegotiator,
  type DeflateAgreement,
  type DeflateOptions,
} from '../protocol/permessage-deflate.js';
import { type CaptureSetting, captureFor } from './capture.js';
import { type ConnectionLimits, WebSocketConnection } from './connection.js';
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
import { createSessionCompression } from './zlib-codec.js';

/** A refusal chosen by the application, with its catalogue code. */
export interface UpgradeRefusal {
  readonly refuse: ErrorCode;
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
}

export interface ServerEvents {
  connection: [connection: WebSocketConnection, request: HandshakeRequest];
  close: [];
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

/** Which server a connection belongs to; a module-level close listener finds it here. */
const owners = new WeakMap<
  WebSocketConnection,
  { server: WebSocketServer; address: string | undefined }
>();

// One listener shared by every connection rather than a closure each (memory per connection).
function connectionOnClose(this: WebSocketConnection): void {
  const owner = owners.get(this);
  owner?.server.connectionClosed(this, owner.address);
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

/**
 * Accepts WebSocket connections: from any Node http/https server through `handleUpgrade` or
 * `attach`, or standalone on its own port with `listen`.
 */
export class WebSocketServer extends EventEmitter<ServerEvents> {
  readonly clients = new Set<WebSocketConnection>();
  readonly options: ServerOptions;
  private readonly policy: HandshakePolicy<DeflateAgreement>;
  private readonly deflateOptions: DeflateOptions;
  private readonly perAddress = new Map<string, number>();
  private pendingHandshakes = 0;
  private readonly handshakeSockets = new Set<Duplex>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private netServer: NetServer | undefined;
  private closing = false;
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: ServerOptions = {}) {
    super();
    this.options = options;
    const deflate = options.perMessageDeflate ?? true;
    this.deflateOptions = typeof deflate === 'object' ? deflate : {};
    this.policy = {
      origins: options.origins,
      requireOrigin: options.requireOrigin,
      subprotocols: options.subprotocols,
      requireSubprotocol: options.requireSubprotocol,
      extensions: deflate === false ? undefined : createDeflateNegotiator(this.deflateOptions),
    };
  }

  /** Whether `path` is one this server serves (see the `path` option). */
  servesPath(path: string): boolean {
    return matchPath(this.options.path, path);
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
    return this.upgrade(handshake, socket, head, options);
  }

  /** Refuses a handshake with a catalogue code, logging it. */
  refuse(
    request: HandshakeRequest | undefined,
    socket: Duplex,
    code: ErrorCode,
    detail?: string,
    headers?: Readonly<Record<string, string>>,
    status?: number,
  ): void {
    this.options.onLog?.(
      logEventFor(code, { detail, remoteAddress: request?.remoteAddress, path: request?.path }),
    );
    const accept = request?.headers.accept;
    const refusal = buildRefusal(code, {
      ...(detail === undefined ? {} : { detail }),
      accept: Array.isArray(accept) ? accept.join(', ') : accept,
      ...(headers === undefined ? {} : { headers }),
      ...(status === undefined ? {} : { status }),
    });
    if (request !== undefined) {
      (this.options.refusalJournal ?? defaultRefusalJournal).recordFor(
        request,
        code,
        refusal.status,
      );
    }
    writeBuiltRefusal(socket, refusal);
  }

  private async upgrade(
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
    if (this.closing) {
      this.refuse(request, socket, 'WSG_SERVER_SHUTTING_DOWN');
      return undefined;
    }
    const outcome = validateUpgradeRequest(request, this.policy);
    if (!outcome.accepted) {
      this.refuse(request, socket, outcome.code, outcome.detail);
      return undefined;
    }
    const maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (this.clients.size + this.pendingHandshakes >= maxConnections) {
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
    if (address !== undefined && (this.perAddress.get(address) ?? 0) >= perAddressLimit) {
      this.refuse(
        request,
        socket,
        'WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT',
        `${perAddressLimit} connections from this address are open`,
      );
      return undefined;
    }
    if (address !== undefined)
      this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    this.pendingHandshakes++;
    let counted = address !== undefined;
    const release = (): void => {
      if (!counted || address === undefined) return;
      counted = false;
      this.forgetAddress(address);
    };
    try {
      const verify = this.options.verifyUpgrade;
      if (verify !== undefined) {
        const decision = await this.runHook(request, socket, verify);
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
      if (this.closing) {
        release();
        this.refuse(request, socket, 'WSG_SERVER_SHUTTING_DOWN');
        return undefined;
      }
      let accept: string;
      try {
        accept = serializeAcceptResponse(outcome, options.headers);
      } catch (error) {
        release();
        this.options.onLog?.(
          logEventForException('handshake', error, {
            remoteAddress: request.remoteAddress,
            path: request.path,
          }),
        );
        this.refuse(request, socket, 'WSG_HOOK_FAILED');
        return undefined;
      }
      socket.write(accept);
      const connection = new WebSocketConnection(socket, {
        side: 'server',
        subprotocol: outcome.subprotocol,
        extensions: outcome.extensionsHeader,
        compression:
          outcome.extension === undefined
            ? undefined
            : createSessionCompression(outcome.extension, 'server', this.deflateOptions),
        maxMessageBytes: this.options.maxMessageBytes,
        closeTimeoutMs: this.options.closeTimeoutMs,
        idleTimeoutMs: this.options.idleTimeoutMs,
        maxMessagesPerSecond: this.options.maxMessagesPerSecond,
        maxBufferedBytes: this.options.maxBufferedBytes,
        slowConsumerPolicy: this.options.slowConsumerPolicy,
        textAs: this.options.textAs,
        log: this.options.onLog,
      });
      socket.off('error', destroyOnError);
      this.clients.add(connection);
      counted = false; // from here on, connectionClosed releases the address
      owners.set(connection, { server: this, address });
      connection.on('close', connectionOnClose);
      this.startHeartbeat();
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
      this.pendingHandshakes--;
    }
  }

  private async runHook(
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
      return (
        (await Promise.race([Promise.resolve().then(() => verify(request)), timeout])) || undefined
      );
    } catch (error) {
      if (isWsgateError(error) && error.kind === 'handshake') {
        return {
          refuse: error.code,
          ...(error.detail === undefined ? {} : { detail: error.detail }),
        };
      }
      this.options.onLog?.(
        logEventForException('handshake', error, {
          remoteAddress: request.remoteAddress,
          path: request.path,
        }),
      );
      this.refuse(request, socket, 'WSG_HOOK_FAILED');
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
    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const handshake = fromIncomingMessage(request);
      if (this.servesPath(handshake.path)) {
        void this.upgrade(handshake, socket, head, {});
        return;
      }
      this.refuseUnhandled(server, handshake, socket);
    };
    server.on('upgrade', onUpgrade);
    return () => {
      server.off('upgrade', onUpgrade);
    };
  }

  /** 404 for an upgrade no listener takes: at once when alone, else after a grace period. */
  refuseUnhandled(server: HttpServer, request: HandshakeRequest, socket: Duplex): void {
    if (server.listenerCount('upgrade') <= 1) {
      this.refuse(
        request,
        socket,
        'WSG_PATH_NOT_FOUND',
        `no WebSocket endpoint at ${request.path}`,
      );
      return;
    }
    const timer = setTimeout(() => {
      const untouched = !socket.destroyed && (socket as Partial<Socket>).bytesWritten === 0;
      if (untouched)
        this.refuse(
          request,
          socket,
          'WSG_PATH_NOT_FOUND',
          `no WebSocket endpoint at ${request.path}`,
        );
    }, this.options.unhandledUpgradeTimeoutMs ?? 1_000);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  // --- standalone -----------------------------------------------------------------------

  /** Listens on its own port; every request is a handshake (plain HTTP gets 426). */
  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    if (this.netServer !== undefined)
      return Promise.reject(new Error('this WebSocketServer already listens'));
    const netServer = createNetServer({ noDelay: true }, (socket) => this.acceptTcp(socket));
    this.netServer = netServer;
    return new Promise((resolve, reject) => {
      netServer.once('error', reject);
      netServer.listen(port, host, () => {
        netServer.off('error', reject);
        resolve(netServer.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | undefined {
    return (this.netServer?.address() as AddressInfo | null) ?? undefined;
  }

  private acceptTcp(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.options.capture !== undefined)
      captureFor(this, this.options.capture)?.track(socket, 'server');
    const parser = new HttpRequestParser({
      maxHeaderBytes: this.options.maxHeaderBytes ?? defaultHeadLimits.maxHeaderBytes,
      maxHeaderCount: this.options.maxHeaderCount ?? defaultHeadLimits.maxHeaderCount,
    });
    this.handshakeSockets.add(socket);
    const timeoutMs = this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    // Every listener of the handshake is removed once it ends, so that an open connection keeps
    // nothing of its handshake (memory per idle connection).
    const finish = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', finish);
      this.handshakeSockets.delete(socket);
    };
    const timer = setTimeout(() => {
      finish();
      this.refuse(
        undefined,
        socket,
        'WSG_HANDSHAKE_TIMEOUT',
        `no complete request head within ${timeoutMs} ms`,
      );
    }, timeoutMs);
    timer.unref();
    const onError = (): void => {
      finish();
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      const result = parser.push(chunk);
      if (result.state === 'incomplete') return;
      finish();
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
      if (!this.servesPath(request.path)) {
        this.refuse(
          request,
          socket,
          'WSG_PATH_NOT_FOUND',
          `no WebSocket endpoint at ${request.path}`,
        );
        return;
      }
      void this.upgrade(request, socket, result.rest, {});
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', finish);
  }

  // --- lifecycle ------------------------------------------------------------------------

  /** Forgets a closed connection: the client set, the count for its address, the heartbeat. */
  connectionClosed(connection: WebSocketConnection, address: string | undefined): void {
    if (!this.clients.delete(connection)) return;
    if (address !== undefined) this.forgetAddress(address);
    this.stopHeartbeatWhenIdle();
  }

  private forgetAddress(address: string): void {
    const left = (this.perAddress.get(address) ?? 1) - 1;
    if (left <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, left);
  }

  private startHeartbeat(): void {
    const interval = this.options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    if (this.heartbeatTimer !== undefined || interval <= 0) return;
    this.heartbeatTimer = setInterval(heartbeatTick, interval, this);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeatWhenIdle(): void {
    if (this.clients.size === 0 && this.heartbeatTimer !== undefined) {
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = undefined;
    }
  }

  /**
   * Graceful shutdown: refuse new handshakes (503), close every connection with 1001, wait for
   * the closing handshakes up to `timeoutMs`, then terminate what is left.
   */
  close(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    // A second call (a signal handler, then a test's teardown) waits for the same shutdown
    // instead of resolving while connections are still open.
    this.shutdownPromise ??= this.shutDown(options);
    return this.shutdownPromise;
  }

  private async shutDown(options: { readonly timeoutMs?: number }): Promise<void> {
    this.closing = true;
    const netServer = this.netServer;
    const listening =
      netServer === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => netServer.close(() => resolve()));
    for (const socket of this.handshakeSockets) socket.destroy();
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
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
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
