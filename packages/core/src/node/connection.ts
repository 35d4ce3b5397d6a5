import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { ClosingCode } from '../errors/catalogue.js';
import { closeCodeFor, closeReasonFor } from '../errors/close-reason.js';
import { type LogEvent, logEventFor, logEventForException } from '../errors/log-event.js';
import { WsgateError } from '../errors/wsgate-error.js';
import { CloseCode, isValidWireCloseCode } from '../protocol/close.js';
import type { Allocate } from '../protocol/frame-serializer.js';
import type { SessionCompression } from '../protocol/message-codec.js';
import { type SessionOptions, SessionState, WebSocketSession } from '../protocol/session.js';
import type { PresenceMember, TopicPosition } from '../topics/backplane.js';
import type {
  PublishOptions,
  Subscribed,
  SubscribeOptions,
  TopicHub,
} from '../topics/topic-hub.js';
import { type MonotonicClock, monotonicClock, TokenBucket } from './rate-limit.js';

export const ReadyState = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

/** What to do when a peer does not read and `maxBufferedBytes` would be exceeded. */
export type SlowConsumerPolicy = 'wait' | 'drop' | 'close';

export interface ConnectionLimits {
  /** Largest message accepted (close 1009 beyond). */
  readonly maxMessageBytes?: number | undefined;
  /** How long to wait for the peer's close frame or TCP close after ours. */
  readonly closeTimeoutMs?: number | undefined;
  /** Close with 1001 after this long without receiving anything; 0 turns it off. */
  readonly idleTimeoutMs?: number | undefined;
  /**
   * Close with 1008 beyond this many messages in one second; 0 turns it off. A token bucket:
   * bursts up to the rate, refilled continuously, so a burst straddling a second gets no more.
   */
  readonly maxMessagesPerSecond?: number | undefined;
  /** The monotonic clock the rate limit reads (`performance.now`); tests pass their own. */
  readonly clock?: MonotonicClock | undefined;
  /**
   * Cap on bytes waiting to be written to a peer that does not read (16 MiB by default). A
   * message larger than the cap still goes when nothing else waits.
   */
  readonly maxBufferedBytes?: number | undefined;
  /**
   * What `send` does at the cap: close with 1013 (default: memory stays bounded whatever the
   * application does), drop the message (a `drop` event), or "wait": keep queueing past the cap,
   * for applications that await `drained()` whenever `send` returns false.
   */
  readonly slowConsumerPolicy?: SlowConsumerPolicy | undefined;
}

export interface ConnectionOptions extends ConnectionLimits {
  readonly side: 'server' | 'client';
  readonly subprotocol?: string | undefined;
  readonly extensions?: string | undefined;
  readonly compression?: SessionCompression | undefined;
  /** Deliver text messages as strings (default) or as Buffers. */
  readonly textAs?: 'string' | 'buffer' | undefined;
  readonly autoPong?: boolean | undefined;
  readonly log?: ((event: LogEvent) => void) | undefined;
}

export interface SendOptions {
  /** Send as binary (default for bytes) or text (default for strings). */
  readonly binary?: boolean;
}

export type MessageData = string | Buffer;

export interface ConnectionEvents {
  message: [data: MessageData, isBinary: boolean];
  close: [code: number, reason: string, error: WsgateError | undefined];
  error: [error: Error];
  ping: [payload: Buffer];
  pong: [payload: Buffer];
  drain: [];
  drop: [bytes: number];
}

export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/**
 * What a connection needs of its options, defaults applied. A server resolves them once and
 * shares them between its connections and their sessions (memory per idle connection). @internal
 */
export interface ConnectionSettings extends SessionOptions {
  readonly allocate: Allocate;
  readonly textAsString: boolean;
  readonly closeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxMessagesPerSecond: number;
  readonly clock: MonotonicClock;
  readonly maxBufferedBytes: number;
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  readonly log: ((event: LogEvent) => void) | undefined;
  /** The topics of the server that accepted the connection (none for a connection made alone). */
  readonly topics?: TopicHub | undefined;
}

/** The settings of `options` (all but its subprotocol, extensions and compression). @internal */
export function resolveConnectionSettings(options: ConnectionOptions): ConnectionSettings {
  return {
    side: options.side,
    maxMessageBytes: options.maxMessageBytes,
    autoPong: options.autoPong,
    allocate: Buffer.allocUnsafe,
    allocateMessage: Buffer.allocUnsafeSlow,
    compression: undefined,
    textAsString: (options.textAs ?? 'string') === 'string',
    closeTimeoutMs: options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    idleTimeoutMs: options.idleTimeoutMs ?? 0,
    maxMessagesPerSecond: options.maxMessagesPerSecond ?? 0,
    clock: options.clock ?? monotonicClock,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    slowConsumerPolicy: options.slowConsumerPolicy ?? 'close',
    log: options.log,
  };
}

/**
 * Where a socket keeps what owns it: a standalone server's pending handshake (server.ts), then
 * its connection. One slot for both keeps every socket a field smaller. @internal
 */
export const kSocketOwner = Symbol('wsgate.owner');
const kConnection = kSocketOwner;
type OwnedSocket = Duplex & { [kConnection]?: WebSocketConnection };

// Listeners are shared by every socket and find their connection through a symbol, so that a
// connection costs no closures (this is what keeps memory per idle connection low).
function socketOnData(this: OwnedSocket, chunk: Buffer): void {
  this[kConnection]?.receiveChunk(chunk);
}
function socketOnEnd(this: OwnedSocket): void {
  this[kConnection]?.socketEnded();
}
function socketOnClose(this: OwnedSocket): void {
  this[kConnection]?.socketClosed();
}
function socketOnError(this: OwnedSocket, error: Error): void {
  this[kConnection]?.socketFailed(error);
}
function socketOnDrain(this: OwnedSocket): void {
  this[kConnection]?.socketDrained();
}
function idleTimerFired(connection: WebSocketConnection): void {
  connection.idleTimedOut();
}
function flushConnection(connection: WebSocketConnection): void {
  connection.flush();
}

/**
 * Frames of one tick leave together at its end: runs of pieces up to this size are copied into
 * one buffer, larger pieces go as they are, all in one vectored write.
 */
const COALESCE_MAX_BYTES = 4096;
function closeTimerFired(connection: WebSocketConnection): void {
  connection.abort('WSG_CLOSE_TIMEOUT');
}

/** `pieces[start..end)` as one buffer: the piece itself when there is one, else a copy. */
function joinPieces(pieces: Uint8Array[], start: number, end: number, bytes: number): Uint8Array {
  if (end - start === 1) return pieces[start] as Uint8Array;
  const joined = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (let i = start; i < end; i++) {
    const piece = pieces[i] as Uint8Array;
    joined.set(piece, offset);
    offset += piece.length;
  }
  return joined;
}

/**
 * A connection's table of listeners. EventEmitter keeps them in an object without a prototype,
 * which V8 stores as a hash table (about 160 bytes once a listener is added); objects from this
 * constructor keep V8's compact layout (about 40 bytes for two events, the layout shared by
 * every connection), and still have no Object.prototype behind them, so that an event named
 * "toString" has no listeners. Memory per idle connection.
 */
const ListenerTable = function ListenerTable() {} as unknown as new () => object;
ListenerTable.prototype = Object.create(null);

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** One WebSocket connection over a Node stream: moves bytes between the socket and the session. */
export class WebSocketConnection extends EventEmitter<ConnectionEvents> {
  /** The subprotocol agreed in the handshake, or "". */
  readonly protocol: string;
  /** The Sec-WebSocket-Extensions value agreed in the handshake, or "". */
  readonly extensions: string;
  /** Set by the heartbeat: whether anything arrived since the last ping. */
  #alive = true;

  readonly #socket: OwnedSocket;
  readonly #session: WebSocketSession;
  readonly #settings: ConnectionSettings;
  #readyStateValue: ReadyState = ReadyState.open;
  #flushScheduled = false;
  /** True while a received chunk is parsed: its end writes what was sent meanwhile. */
  #receiving = false;
  /** Frames (headers and payloads) waiting for the end of the tick, and their total size. */
  #pending: Uint8Array[] | undefined;
  #pendingBytes = 0;
  #closeTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #failure: WsgateError | undefined;
  #socketError: Error | undefined;
  /** With `maxMessagesPerSecond`: the messages this peer may still send now. */
  #rate: TokenBucket | undefined;
  /** Reading stopped until the socket drains: pongs piled up past the cap (see onPing). */
  #awaitingDrain = false;

  /**
   * A connection over `socket`, whose handshake is complete; it reads once `start` is called.
   * For adapters that complete handshakes themselves: servers and `connect` create their own.
   */
  constructor(socket: Duplex, options: ConnectionOptions);
  /**
   * @internal `settings` stand for every option but the subprotocol, extensions and compression
   * (a server passes the ones it resolved once for all its connections).
   */
  constructor(socket: Duplex, options: ConnectionOptions, settings: ConnectionSettings);
  constructor(
    socket: Duplex,
    options: ConnectionOptions,
    settings: ConnectionSettings = resolveConnectionSettings(options),
  ) {
    super();
    // No listener exists yet: EventEmitter finds its table through `_events` (as Node's streams
    // rely on too) and replaces it with a fresh one of its own when the last listener goes.
    (this as unknown as { _events: object })._events = new ListenerTable();
    this.#socket = socket as OwnedSocket;
    this.protocol = options.subprotocol ?? '';
    this.extensions = options.extensions ?? '';
    this.#settings = settings;
    this.#session = new WebSocketSession(this, settings, options.compression);
    this.#socket[kConnection] = this;
    if (typeof (socket as { setNoDelay?: unknown }).setNoDelay === 'function') {
      (socket as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
    }
    // The connection ends its side itself once the peer's stream ended (socketEnded, or resume
    // when paused): Node must not end it first and cut the replies to the messages held before.
    (socket as { allowHalfOpen?: boolean }).allowHalfOpen = true;
    socket.on('end', socketOnEnd);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
    socket.on('drain', socketOnDrain);
    const idle = settings.idleTimeoutMs;
    if (idle > 0) {
      // Our own timer, refreshed by received bytes only: socket.setTimeout also counts writes,
      // so a connection we keep sending to would never be found idle.
      this.#idleTimer = setTimeout(idleTimerFired, idle, this);
      this.#idleTimer.unref();
    }
  }

  /** The peer's address, read from the socket when first asked (a system call saved per connection). */
  get remoteAddress(): string | undefined {
    return (this.#socket as { remoteAddress?: string }).remoteAddress;
  }

  get readyState(): ReadyState {
    return this.#readyStateValue;
  }

  /** Bytes accepted by `send` and not yet handed to the operating system. */
  get bufferedAmount(): number {
    return this.#socket.writableLength + this.#pendingBytes;
  }

  /**
   * Starts reading: first the bytes that arrived with the handshake (an upgrade's `head`), then
   * the socket. Called once the owner has had the chance to attach its listeners.
   */
  start(head?: Uint8Array): void {
    if (head !== undefined && head.length > 0) this.receiveChunk(head);
    if (this.#readyStateValue === ReadyState.closed || this.#socket.destroyed) return;
    this.#socket.on('data', socketOnData);
    this.#readOn();
  }

  /**
   * Stops reading: no further message, ping or close is processed until `resume`. For handlers
   * that finish a message asynchronously and want the next one only afterwards (and their
   * replies before a close). The socket stops reading only when bytes arrive meanwhile, so the
   * peer feels backpressure without a system call for every paused message.
   */
  pause(): void {
    if (this.#readyStateValue === ReadyState.closed) return;
    this.#session.pause();
  }

  resume(): void {
    if (this.#readyStateValue === ReadyState.closed) return;
    this.#session.resume();
    if (this.#session.paused) return;
    this.#readOn();
    // The end of the stream came while paused: it waited for the messages before it.
    if (this.#socket.readableEnded && this.#session.state !== SessionState.closed)
      this.socketEnded();
  }

  get isPaused(): boolean {
    return this.#session.paused;
  }

  /** @internal Feeds bytes to the protocol. */
  receiveChunk(chunk: Uint8Array): void {
    // Bytes that arrive while paused are held by the session; no more are read until resume.
    if (this.#session.paused) this.#socket.pause();
    this.#alive = true;
    this.#idleTimer?.refresh();
    // What is sent while the chunk is parsed (echoes, pongs) leaves in one write as soon as the
    // chunk is done, rather than at the end of the tick.
    this.#receiving = true;
    try {
      this.#session.receive(chunk);
    } finally {
      this.#receiving = false;
      this.#writePending();
    }
    // See onPing: with no 'drain' to come (a cap below the socket's high-water mark), read on.
    if (this.#awaitingDrain && !this.#socket.writableNeedDrain) this.#pongsDrained();
  }

  // --- sending --------------------------------------------------------------------------

  /**
   * Sends a message. Strings go as text, bytes as binary, unless `binary` says otherwise.
   * Returns false when the caller should wait for `drained()` before sending more (or when the
   * connection no longer sends, or the slow-consumer policy dropped the message).
   */
  send(data: string | Uint8Array | ArrayBuffer, options?: SendOptions): boolean {
    if (this.#readyStateValue !== ReadyState.open) return false;
    let bytes: Uint8Array;
    let isText: boolean;
    if (typeof data === 'string') {
      bytes = Buffer.from(data, 'utf8');
      isText = options?.binary !== true;
    } else {
      bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
      isText = options?.binary === false;
    }
    const buffered = this.#socket.writableLength + this.#pendingBytes;
    // The cap counts what will wait in the socket: the frame header too (RFC 6455 §5.2). For a
    // compressed message the payload is an estimate (DEFLATE rarely grows data).
    const frameBytes = bytes.length + (bytes.length < 126 ? 2 : bytes.length < 0x10000 ? 4 : 10);
    const { maxBufferedBytes, slowConsumerPolicy } = this.#settings;
    if (buffered + frameBytes > maxBufferedBytes && buffered > 0) {
      if (slowConsumerPolicy === 'drop') {
        this.emit('drop', bytes.length);
        return false;
      }
      if (slowConsumerPolicy === 'close') {
        this.fail(
          'WSG_SEND_BUFFER_FULL',
          `${buffered} bytes already waiting; the cap is ${maxBufferedBytes}`,
        );
        return false;
      }
    }
    this.#session.send(bytes, isText);
    return this.#socket.writableLength + this.#pendingBytes < this.#socket.writableHighWaterMark;
  }

  // --- topics (see topics/topic-hub.ts) ---------------------------------------------------

  /**
   * Receives the topic's messages from now on, from every process on the server's backplane.
   * With `since`, the messages after it come first when history still has them all
   * (`recovered: true`); they are sent after the returned promise settles.
   */
  subscribe(topic: string, options?: SubscribeOptions): Promise<Subscribed> {
    return this.#topicHub().subscribe(this, topic, options);
  }

  /**
   * Publishes to every subscriber of the topic, this connection included when subscribed;
   * resolves with the message's position (the server's `publish`, for handlers).
   */
  publish(
    topic: string,
    data: string | Uint8Array,
    options?: PublishOptions,
  ): Promise<TopicPosition> {
    return this.#topicHub().publish(topic, data, options);
  }

  /** The members of the topic's presence, on every process (the server's `presence`, for handlers). */
  presence(topic: string): Promise<readonly PresenceMember[]> {
    return this.#topicHub().presence(topic);
  }

  /** Stops the topic's messages (and leaves its presence). */
  unsubscribe(topic: string): Promise<void> {
    return this.#topicHub().unsubscribe(this, topic);
  }

  /** The topics this connection is subscribed to. */
  get topics(): ReadonlySet<string> {
    return this.#settings.topics?.topicsOf(this) ?? new Set();
  }

  #topicHub(): TopicHub {
    const hub = this.#settings.topics;
    if (hub === undefined)
      throw new TypeError('topics need a connection accepted by a WebSocketServer');
    return hub;
  }

  /**
   * @internal Writes a frame serialized once for many connections (a topic message), under the
   * same cap and slow-consumer policy as `send`: this connection alone is closed or misses it.
   */
  sendFrame(parts: readonly Uint8Array[], frameBytes: number): boolean {
    if (this.#readyStateValue !== ReadyState.open) return false;
    const buffered = this.#socket.writableLength + this.#pendingBytes;
    const { maxBufferedBytes, slowConsumerPolicy } = this.#settings;
    if (buffered + frameBytes > maxBufferedBytes && buffered > 0) {
      if (slowConsumerPolicy === 'close') {
        this.fail(
          'WSG_SEND_BUFFER_FULL',
          `${buffered} bytes already waiting; the cap is ${maxBufferedBytes}`,
        );
        return false;
      }
      if (slowConsumerPolicy === 'drop') {
        this.emit('drop', frameBytes);
        return false;
      }
    }
    for (const part of parts) this.onTransmit(part);
    return true;
  }

  /** Resolves once buffered bytes have been written out (or the connection closed). */
  drained(): Promise<void> {
    if (this.bufferedAmount === 0 || this.#readyStateValue === ReadyState.closed) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        this.off('drain', done);
        this.off('close', done);
        resolve();
      };
      this.on('drain', done);
      this.on('close', done);
    });
  }

  ping(data: string | Uint8Array = ''): boolean {
    return this.#session.ping(typeof data === 'string' ? Buffer.from(data) : data);
  }

  pong(data: string | Uint8Array = ''): boolean {
    return this.#session.pong(typeof data === 'string' ? Buffer.from(data) : data);
  }

  /** Starts the closing handshake; the socket is closed when the peer answers or after closeTimeoutMs. */
  close(code: number = CloseCode.normal, reason = ''): void {
    if (code !== CloseCode.noStatus && !isValidWireCloseCode(code)) {
      throw new RangeError(
        `close code ${code} may not be sent (RFC 6455 §7.4): use 1000, 1001, 1008, 1011 or 3000-4999`,
      );
    }
    if (this.#readyStateValue !== ReadyState.open) return;
    if (!this.#session.close(code, reason)) return;
    this.#readyStateValue = ReadyState.closing;
    this.#armCloseTimer();
  }

  /** Closes with a catalogue error: its close code and reason, logged. */
  fail(code: ClosingCode, detail = ''): void {
    this.#session.fail(code, detail);
  }

  /** Destroys the socket at once, without a closing handshake. */
  terminate(): void {
    this.#socket.destroy();
  }

  /** @internal Ends the connection for a lifecycle reason (close or heartbeat timeout), without a handshake. */
  abort(code: ClosingCode): void {
    if (this.#readyStateValue === ReadyState.closed) return;
    this.#failure ??= new WsgateError(code);
    this.#emitLog(code, undefined);
    this.#socket.destroy();
  }

  /** @internal Heartbeat tick: end a peer that sent nothing since the previous tick, else ping it. */
  heartbeat(): void {
    if (this.#readyStateValue !== ReadyState.open) return;
    // A peer we are not reading from cannot be judged by what it sent.
    if (this.#session.paused) return;
    if (!this.#alive) {
      this.abort('WSG_HEARTBEAT_TIMEOUT');
      return;
    }
    this.#alive = false;
    this.#session.ping();
  }

  // --- session handler (called by the protocol) ----------------------------------------
  // These and the socket events below are @internal: left out of the published declarations,
  // so that they can change in any release. They stay ordinary methods, called by the session
  // and by the listeners every socket shares (no closure per connection), at no cost per message.

  /** @internal */
  onMessage(data: Uint8Array, isText: boolean): void {
    if (this.#settings.maxMessagesPerSecond > 0 && !this.#withinRate()) return;
    const buffer = toBuffer(data);
    try {
      this.emit(
        'message',
        isText && this.#settings.textAsString ? buffer.toString('utf8') : buffer,
        !isText,
      );
    } catch (error) {
      this.#handlerFailed(error);
    }
  }

  /** @internal */
  onPing(payload: Uint8Array): void {
    // RFC 6455 §5.5.2: every ping gets its pong, which send()'s cap does not see: a peer that
    // pings without reading would pile pongs up without bound. Past maxBufferedBytes, reading
    // stops until the socket drains (TCP then holds the peer back), whatever the policy: every
    // pong still goes, once the peer reads.
    if (!this.#awaitingDrain && this.bufferedAmount > this.#settings.maxBufferedBytes) {
      this.#awaitingDrain = true;
      this.#socket.pause();
    }
    this.#emitSafely('ping', toBuffer(payload));
  }

  /** @internal */
  onPong(payload: Uint8Array): void {
    this.#emitSafely('pong', toBuffer(payload));
  }

  /** @internal */
  onTransmit(bytes: Uint8Array): void {
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return;
    if (!this.#flushScheduled && !this.#receiving) {
      this.#flushScheduled = true;
      process.nextTick(flushConnection, this);
    }
    // Everything sent in one tick (the echoes of a read full of messages) leaves in one write
    // system call, rather than one per frame: at the end of the chunk being received, else at
    // the end of the tick.
    if (this.#pending === undefined) this.#pending = [];
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
  }

  /** @internal */
  onCloseFrame(): void {
    this.#readyStateValue = ReadyState.closing;
    // RFC 6455 §7.1.1: the server closes TCP first; a client waits for it, within a bound.
    if (this.#session.side === 'server') this.#endSocket();
    this.#armCloseTimer();
  }

  /** @internal */
  onFailure(code: ClosingCode, detail: string): void {
    this.#readyStateValue = ReadyState.closing;
    this.#failure = new WsgateError(code, { detail });
    this.#emitLog(code, detail);
    this.#endSocket();
    this.#armCloseTimer();
  }

  // --- socket events --------------------------------------------------------------------

  /** @internal Writes what was batched during this tick in one go. */
  flush(): void {
    this.#flushScheduled = false;
    this.#writePending();
  }

  #writePending(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    const total = this.#pendingBytes;
    this.#pending = undefined;
    this.#pendingBytes = 0;
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return;
    const count = pending.length;
    if (count === 1 || total <= COALESCE_MAX_BYTES) {
      socket.write(count === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending, total));
      return;
    }
    // Runs of small pieces (frame headers, short messages) are copied together; larger payloads
    // are not copied. Corked, the writes become one writev.
    socket.cork();
    let runStart = 0;
    let runBytes = 0;
    for (let i = 0; i <= count; i++) {
      const piece = i < count ? (pending[i] as Uint8Array) : undefined;
      if (piece !== undefined && piece.length <= COALESCE_MAX_BYTES) {
        runBytes += piece.length;
        continue;
      }
      if (i > runStart) socket.write(joinPieces(pending, runStart, i, runBytes));
      if (piece !== undefined) socket.write(piece);
      runStart = i + 1;
      runBytes = 0;
    }
    socket.uncork();
  }

  /** @internal */
  socketEnded(): void {
    if (this.#session.paused) return; // see resume
    this.#session.receiveEof();
    this.#endSocket();
  }

  /** @internal */
  socketDrained(): void {
    if (this.#awaitingDrain) this.#pongsDrained();
    // Emitted from a socket event: a throwing listener must close this connection (1011), not
    // become an uncaught exception that ends the process.
    this.#emitSafely('drain');
  }

  /** @internal */
  socketFailed(error: Error): void {
    this.#socketError ??= error;
  }

  /** @internal */
  idleTimedOut(): void {
    if (this.#readyStateValue === ReadyState.open) {
      this.#failure = new WsgateError('WSG_IDLE_TIMEOUT');
      this.#emitLog('WSG_IDLE_TIMEOUT', undefined);
      this.#session.close(closeCodeFor('WSG_IDLE_TIMEOUT'), closeReasonFor('WSG_IDLE_TIMEOUT'));
      this.#readyStateValue = ReadyState.closing;
      this.#armCloseTimer();
    } else {
      this.#socket.destroy();
    }
  }

  /** @internal */
  socketClosed(): void {
    if (this.#readyStateValue === ReadyState.closed) return;
    this.#readyStateValue = ReadyState.closed;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#session.receiveEof();
    const socket = this.#socket;
    socket.off('data', socketOnData);
    socket.off('end', socketOnEnd);
    socket.off('error', socketOnError);
    socket.off('drain', socketOnDrain);
    socket.off('close', socketOnClose);
    // A late 'error' from the socket must not crash the process.
    socket.on('error', noop);
    let code: number;
    let reason: string;
    let error = this.#failure;
    if (
      error?.closeCode !== undefined &&
      error.closeCode !== CloseCode.abnormal &&
      error.kind === 'protocol'
    ) {
      code = error.closeCode;
      reason = closeReasonFor(error.code);
    } else if (this.#session.closeReceived) {
      code = this.#session.closeCode;
      reason = this.#session.closeReason;
    } else {
      code = CloseCode.abnormal;
      reason = '';
      error ??= new WsgateError(
        'WSG_CONNECTION_LOST',
        this.#socketError ? { detail: this.#socketError.message, cause: this.#socketError } : {},
      );
    }
    this.#emitSafely('close', code, reason, error);
  }

  // --- internals ------------------------------------------------------------------------

  #withinRate(): boolean {
    const now = this.#settings.clock();
    const limit = this.#settings.maxMessagesPerSecond;
    this.#rate ??= new TokenBucket(limit, 1000, now);
    if (this.#rate.take(now)) return true;
    this.#session.fail('WSG_MESSAGE_RATE_EXCEEDED', `more than ${limit} messages in one second`);
    return false;
  }

  /** The pongs piled up were written (see onPing): reading may go on. */
  #pongsDrained(): void {
    this.#awaitingDrain = false;
    this.#readOn();
  }

  /**
   * Lets the socket read, unless the application paused the connection, pongs wait to drain
   * (see onPing), or reading has not started yet (see start).
   */
  #readOn(): void {
    if (this.#session.paused || this.#awaitingDrain) return;
    if (this.#socket.listenerCount('data') > 0) this.#socket.resume();
  }

  #endSocket(): void {
    const socket = this.#socket;
    if (this.#session.state !== SessionState.closed) return;
    this.flush();
    if (!socket.writableEnded) socket.end();
  }

  #armCloseTimer(): void {
    if (this.#closeTimer !== undefined || this.#readyStateValue === ReadyState.closed) return;
    this.#closeTimer = setTimeout(closeTimerFired, this.#settings.closeTimeoutMs, this);
    this.#closeTimer.unref();
  }

  #handlerFailed(error: unknown): void {
    this.#settings.log?.(
      logEventForException('connection', error, { remoteAddress: this.remoteAddress }),
    );
    if (this.listenerCount('error') > 0)
      this.emit('error', error instanceof Error ? error : new Error(String(error)));
    this.#session.fail('WSG_INTERNAL_ERROR', 'a message handler threw');
  }

  #emitSafely<K extends keyof ConnectionEvents>(event: K, ...args: ConnectionEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: ConnectionEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      if (event === 'close') {
        this.#settings.log?.(
          logEventForException('connection', error, { remoteAddress: this.remoteAddress }),
        );
      } else {
        this.#handlerFailed(error);
      }
    }
  }

  #emitLog(code: ClosingCode, detail: string | undefined): void {
    this.#settings.log?.(logEventFor(code, { detail, remoteAddress: this.remoteAddress }));
  }
}

function noop(): void {}
