import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { ClosingCode } from '../errors/catalogue.js';
import { closeCodeFor, closeReasonFor } from '../errors/close-reason.js';
import { CloseCode, checkCloseArguments } from '../protocol/close.js';
import { SessionState, WebSocketSession } from '../protocol/session.js';
import type { SharedMessage } from '../protocol/shared-message.js';
import type { PresenceMember, TopicPosition } from '../topics/backplane.js';
import type { PublishOptions, Subscribed, SubscribeOptions } from '../topics/topic-hub.js';
import { ConnectionEnding } from './connection-ending.js';
import {
  emitSafely,
  handlerFailed,
  refuseSend,
  toBuffer,
  whenDrained,
} from './connection-events.js';
import {
  type ConnectionEvents,
  type ConnectionOptions,
  type ConnectionSettings,
  ReadyState,
  resolveConnectionSettings,
  type SendOptions,
} from './connection-options.js';
import { startIdleTimer } from './connection-timers.js';
import { topicHubOf } from './connection-topics.js';
import { abortSocket, remoteAddressOf, transportOf, type WebSocketTransport } from './h2-stream.js';
import { ListenerTable } from './listener-table.js';
import { OutgoingFrames } from './outgoing-frames.js';
import { TokenBucket } from './rate-limit.js';
import { messageBytes, SendVerdict, sendVerdict } from './send-queue.js';
import { bindSocket, type OwnedSocket, socketOnData, unbindSocket } from './socket-binding.js';

export type {
  ConnectionEvents,
  ConnectionLimits,
  ConnectionOptions,
  ConnectionSettings,
  MessageData,
  SendOptions,
  SlowConsumerPolicy,
} from './connection-options.js';
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_BYTES,
  ReadyState,
  resolveConnectionSettings,
} from './connection-options.js';
export { kSocketOwner } from './socket-binding.js';

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
  /** Frames sent and not yet written to the socket. */
  readonly #outgoing = new OutgoingFrames();
  #idleTimer: NodeJS.Timeout | undefined;
  /** Created when the connection starts to end (see #ending). */
  #endingState: ConnectionEnding | undefined;
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
    bindSocket(this.#socket, this);
    if (settings.idleTimeoutMs > 0) this.#idleTimer = startIdleTimer(this, settings.idleTimeoutMs);
  }

  /** The peer's address, read from the socket when first asked (a system call saved per connection). */
  get remoteAddress(): string | undefined {
    return remoteAddressOf(this.#socket);
  }

  /** What carries the connection: an HTTP/1.1 upgraded socket, or an HTTP/2 stream (RFC 8441). */
  get transport(): WebSocketTransport {
    return transportOf(this.#socket);
  }

  get readyState(): ReadyState {
    return this.#readyStateValue;
  }

  /** Bytes accepted by `send` and not yet handed to the operating system. */
  get bufferedAmount(): number {
    return (
      this.#socket.writableLength + this.#outgoing.bytes + (this.#session.sendQueue?.bytes ?? 0)
    );
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
    this.#settings.traffic?.chunkReceived(chunk.length);
    this.#idleTimer?.refresh();
    // What is sent while the chunk is parsed (echoes, pongs) leaves in one write as soon as the
    // chunk is done, rather than at the end of the tick.
    this.#outgoing.receiving = true;
    try {
      this.#session.receive(chunk);
    } finally {
      this.#outgoing.receiving = false;
      this.#outgoing.write(this.#socket, this, this.#settings);
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
    const bytes = messageBytes(data);
    const isText = typeof data === 'string' ? options?.binary !== true : options?.binary === false;
    const buffered = this.#bufferedForPolicy();
    const verdict = sendVerdict(buffered, bytes.length, this.#settings);
    if (verdict !== SendVerdict.send)
      return refuseSend(this, this.#settings, verdict, buffered, bytes.length);
    this.#session.send(bytes, isText);
    this.#settings.traffic?.messageSent();
    return this.bufferedAmount < this.#socket.writableHighWaterMark;
  }

  // --- topics (see topics/topic-hub.ts) ---------------------------------------------------

  /**
   * Receives the topic's messages from now on, from every process on the server's backplane.
   * With `since`, the messages after it come first when history still has them all
   * (`recovered: true`); they are sent after the returned promise settles. Subscribing again to
   * a topic (to change its presence data) resumes after the last message delivered: nothing is
   * missed or repeated.
   */
  subscribe(topic: string, options?: SubscribeOptions): Promise<Subscribed> {
    return topicHubOf(this.#settings).subscribe(this, topic, options);
  }

  /** Publishes to every subscriber of the topic (the server's `publish`, for handlers). */
  publish(
    topic: string,
    data: string | Uint8Array,
    options?: PublishOptions,
  ): Promise<TopicPosition> {
    return topicHubOf(this.#settings).publish(topic, data, options);
  }

  /** The members of the topic's presence, on every process (the server's `presence`, for handlers). */
  presence(topic: string): Promise<readonly PresenceMember[]> {
    return topicHubOf(this.#settings).presence(topic);
  }

  /** Stops the topic's messages (and leaves its presence). */
  unsubscribe(topic: string): Promise<void> {
    return topicHubOf(this.#settings).unsubscribe(this, topic);
  }

  /** The topics this connection is subscribed to. */
  get topics(): ReadonlySet<string> {
    return this.#settings.topics?.topicsOf(this) ?? new Set();
  }

  /**
   * @internal Writes a frame serialized once for many connections (a topic message), under the
   * same cap and slow-consumer policy as `send`: this connection alone is closed or misses it.
   */
  sendFrame(message: SharedMessage): boolean {
    if (this.#readyStateValue !== ReadyState.open) return false;
    const buffered = this.#bufferedForPolicy();
    const verdict = sendVerdict(buffered, message.bytes, this.#settings);
    if (verdict !== SendVerdict.send)
      return refuseSend(this, this.#settings, verdict, buffered, message.bytes);
    this.#session.sendShared(message);
    this.#settings.traffic?.messageSent();
    return true;
  }

  /** Resolves once buffered bytes have been written out (or the connection closed). */
  drained(): Promise<void> {
    if (this.bufferedAmount === 0 || this.#readyStateValue === ReadyState.closed) {
      return Promise.resolve();
    }
    return whenDrained(this);
  }

  ping(data: string | Uint8Array = ''): boolean {
    return this.#session.ping(typeof data === 'string' ? Buffer.from(data) : data);
  }

  pong(data: string | Uint8Array = ''): boolean {
    return this.#session.pong(typeof data === 'string' ? Buffer.from(data) : data);
  }

  /** Starts the closing handshake; the socket is closed when the peer answers or after closeTimeoutMs. */
  close(code: number = CloseCode.normal, reason = ''): void {
    checkCloseArguments(code, reason);
    if (this.#readyStateValue !== ReadyState.open) return;
    if (!this.#session.close(code, reason)) return;
    this.#readyStateValue = ReadyState.closing;
    this.#ending().armCloseTimer();
  }

  /** Closes with a catalogue error: its close code and reason, logged. */
  fail(code: ClosingCode, detail = ''): void {
    this.#session.fail(code, detail);
  }

  /** Destroys the socket at once, without a closing handshake. */
  terminate(): void {
    abortSocket(this.#socket);
  }

  /** @internal Ends the connection for a lifecycle reason (close or heartbeat timeout, the server's send budget), without a handshake. */
  abort(code: ClosingCode, detail?: string): void {
    if (this.#readyStateValue === ReadyState.closed) return;
    this.#ending().aborted(code, detail);
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
    this.#settings.traffic?.messageReceived();
    const buffer = toBuffer(data);
    try {
      this.emit(
        'message',
        isText && this.#settings.textAsString ? buffer.toString('utf8') : buffer,
        !isText,
      );
    } catch (error) {
      handlerFailed(this, this.#settings.log, error);
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
    emitSafely(this, this.#settings.log, 'ping', toBuffer(payload));
  }

  /** @internal */
  onPong(payload: Uint8Array): void {
    emitSafely(this, this.#settings.log, 'pong', toBuffer(payload));
  }

  /** @internal */
  onTransmit(bytes: Uint8Array): void {
    this.#outgoing.add(bytes, this.#socket, this);
  }

  /** @internal Deferred compression work ended: reading may go on, held frames went out. */
  onCodecSettled(): void {
    if (this.#readyStateValue === ReadyState.closed) return;
    if (!this.#session.paused) {
      this.#readOn();
      // The end of the stream came while an inflate held reading: it waited for the message.
      if (this.#socket.readableEnded && this.#session.state !== SessionState.closed)
        this.socketEnded();
    }
    // A closing session ends the socket once its last frames are out (see ConnectionEnding).
    if (this.#session.sendQueue?.waiting !== true && this.#session.state === SessionState.closed)
      this.#ending().endSocket();
  }

  /** @internal */
  onCloseFrame(): void {
    this.#readyStateValue = ReadyState.closing;
    // RFC 6455 §7.1.1: the server closes TCP first; a client waits for it, within a bound.
    if (this.#session.side === 'server') this.#ending().endSocket();
    this.#ending().armCloseTimer();
  }

  /** @internal */
  onFailure(code: ClosingCode, detail: string): void {
    this.#readyStateValue = ReadyState.closing;
    this.#ending().failed(code, detail);
  }

  // --- socket events --------------------------------------------------------------------

  /** @internal Writes what was batched during this tick in one go. */
  flush(): void {
    this.#outgoing.flush(this.#socket, this, this.#settings);
  }

  /** @internal */
  socketEnded(): void {
    if (this.#session.paused) return; // see resume
    this.#session.receiveEof();
    this.#ending().endSocket();
  }

  /** @internal */
  socketDrained(): void {
    this.#settings.sendBudget?.release(this);
    if (this.#awaitingDrain) this.#pongsDrained();
    // Emitted from a socket event: a throwing listener must close this connection (1011), not
    // become an uncaught exception that ends the process.
    emitSafely(this, this.#settings.log, 'drain');
  }

  /** @internal */
  socketFailed(error: Error): void {
    this.#ending().socketFailed(error);
  }

  /** @internal */
  idleTimedOut(): void {
    if (this.#readyStateValue === ReadyState.open) {
      this.#ending().idle();
      this.#session.close(closeCodeFor('WSG_IDLE_TIMEOUT'), closeReasonFor('WSG_IDLE_TIMEOUT'));
      this.#readyStateValue = ReadyState.closing;
      this.#ending().armCloseTimer();
    } else {
      abortSocket(this.#socket);
    }
  }

  /** @internal */
  socketClosed(): void {
    if (this.#readyStateValue === ReadyState.closed) return;
    this.#readyStateValue = ReadyState.closed;
    this.#settings.sendBudget?.release(this);
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#session.receiveEof();
    unbindSocket(this.#socket);
    const [code, reason, error] = this.#ending().closed();
    emitSafely(this, this.#settings.log, 'close', code, reason, error);
  }

  // --- internals ------------------------------------------------------------------------

  /**
   * What the cap and the slow-consumer policy count: bytes waiting for the peer, and messages
   * still being compressed; not the frames held behind those, which wait for us, not the peer
   * (a topic subscriber waits for one compression at a time, see WebSocketSession.sendShared).
   */
  #bufferedForPolicy(): number {
    return (
      this.#socket.writableLength +
      this.#outgoing.bytes +
      (this.#session.sendQueue?.unfilledBytes ?? 0)
    );
  }

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

  #ending(): ConnectionEnding {
    this.#endingState ??= new ConnectionEnding(this, this.#socket, this.#session, this.#settings);
    return this.#endingState;
  }
}
