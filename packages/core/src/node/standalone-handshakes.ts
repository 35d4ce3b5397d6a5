import type { Socket } from 'node:net';
import type { HandshakeCode } from '../errors/catalogue.js';
import {
  defaultHeadLimits,
  type HttpHeadLimits,
  type HttpRequestHead,
  HttpRequestParser,
} from '../protocol/http-head.js';
import { pendingCapDetail } from './request-head-deadline.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  type ServerOptions,
} from './server-options.js';
import { kSocketOwner } from './socket-binding.js';

/** What the handshakes of a standalone server report to it. */
export interface StandaloneHost {
  /** A request head is complete: `rest` holds the bytes after it. */
  requestHeadRead(socket: Socket, head: HttpRequestHead, rest: Uint8Array): void;
  /** The head is malformed, too large, or late: answer with `code`. */
  requestHeadFailed(socket: Socket, code: HandshakeCode, detail: string | undefined): void;
}

/** A standalone server's socket until its request head is read: what the listeners below need. */
class PendingHandshake {
  constructor(
    readonly handshakes: StandaloneHandshakes,
    readonly parser: HttpRequestParser,
    /** performance.now() after which the client gets 408 WSG_HANDSHAKE_TIMEOUT. */
    readonly deadline: number,
  ) {}
}

/** The socket's slot its connection takes over once the handshake is done. */
const kHandshake = kSocketOwner;
type HandshakeSocket = Socket & { [kHandshake]?: PendingHandshake | undefined };

// Listeners shared by every socket during its handshake, which find its state through a symbol:
// no closures and no timer per connection (handshakes per second, memory per connection).
function handshakeOnData(this: HandshakeSocket, chunk: Buffer): void {
  const pending = this[kHandshake];
  if (pending !== undefined) pending.handshakes.data(this, pending, chunk);
}
function handshakeOnError(this: HandshakeSocket): void {
  this[kHandshake]?.handshakes.end(this);
  this.destroy();
}
function handshakeOnClose(this: HandshakeSocket): void {
  this[kHandshake]?.handshakes.end(this);
}
function handshakeSweep(handshakes: StandaloneHandshakes): void {
  handshakes.expire();
}

/**
 * The sockets of a standalone server whose request head has not arrived yet, with their
 * deadlines (`handshakeTimeoutMs`, 408 beyond): one timer sweeps them all.
 */
export class StandaloneHandshakes {
  /** Oldest first, so also by deadline. */
  readonly #sockets = new Map<HandshakeSocket, PendingHandshake>();
  /** Runs while any handshake is pending. */
  #timer: NodeJS.Timeout | undefined;
  readonly #headLimits: HttpHeadLimits;
  readonly #timeoutMs: number;
  /** `maxPendingHandshakes`: past it the oldest goes (see ServerOptions). */
  readonly #maxPending: number;

  constructor(
    options: ServerOptions,
    private readonly host: StandaloneHost,
  ) {
    this.#headLimits = {
      maxHeaderBytes: options.maxHeaderBytes ?? defaultHeadLimits.maxHeaderBytes,
      maxHeaderCount: options.maxHeaderCount ?? defaultHeadLimits.maxHeaderCount,
    };
    this.#timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const maxPending = options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES;
    this.#maxPending = maxPending > 0 ? maxPending : Number.POSITIVE_INFINITY;
  }

  get size(): number {
    return this.#sockets.size;
  }

  /** Starts reading a new socket's request head. */
  add(socket: Socket): void {
    const pending = new PendingHandshake(
      this,
      new HttpRequestParser(this.#headLimits),
      performance.now() + this.#timeoutMs,
    );
    const handshakeSocket = socket as HandshakeSocket;
    handshakeSocket[kHandshake] = pending;
    this.#sockets.set(handshakeSocket, pending);
    if (this.#timer === undefined) {
      // A deadline is checked a quarter of the timeout after it at the latest.
      this.#timer = setInterval(handshakeSweep, Math.max(10, this.#timeoutMs / 4), this);
      this.#timer.unref();
    }
    socket.on('data', handshakeOnData);
    socket.on('error', handshakeOnError);
    socket.on('close', handshakeOnClose);
    if (this.#sockets.size > this.#maxPending) this.#dropOldest();
  }

  #dropOldest(): void {
    for (const socket of this.#sockets.keys()) {
      if (this.#sockets.size <= this.#maxPending) return;
      this.end(socket);
      this.host.requestHeadFailed(
        socket,
        'WSG_HANDSHAKE_TIMEOUT',
        pendingCapDetail(this.#maxPending),
      );
    }
  }

  /**
   * Ends a handshake's bookkeeping; its listeners are removed so that an open connection keeps
   * nothing of its handshake (memory per idle connection).
   */
  end(socket: Socket): void {
    const handshakeSocket = socket as HandshakeSocket;
    if (handshakeSocket[kHandshake] === undefined) return;
    handshakeSocket[kHandshake] = undefined;
    socket.off('data', handshakeOnData);
    socket.off('error', handshakeOnError);
    socket.off('close', handshakeOnClose);
    this.#sockets.delete(handshakeSocket);
  }

  /** Bytes of a request head; once complete (or failed), the socket is the host's. */
  data(socket: Socket, pending: PendingHandshake, chunk: Buffer): void {
    const result = pending.parser.push(chunk);
    if (result.state === 'incomplete') return;
    this.end(socket);
    socket.pause();
    if (result.state === 'failed') this.host.requestHeadFailed(socket, result.fault, result.detail);
    else this.host.requestHeadRead(socket, result.head, result.rest);
  }

  /** Answers 408 to the handshakes past their deadline; stops the timer when none is left. */
  expire(): void {
    const now = performance.now();
    for (const [socket, pending] of this.#sockets) {
      if (pending.deadline > now) break;
      this.end(socket);
      this.host.requestHeadFailed(
        socket,
        'WSG_HANDSHAKE_TIMEOUT',
        `no complete request head within ${this.#timeoutMs} ms`,
      );
    }
    if (this.#sockets.size === 0) this.stop();
  }

  /** Shutdown: drops every pending handshake. */
  destroyAll(): void {
    for (const socket of this.#sockets.keys()) socket.destroy();
    this.stop();
  }

  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
