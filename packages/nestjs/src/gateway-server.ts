import type { IncomingMessage } from 'node:http';
import type { WsMessageHandler } from '@nestjs/common';
import {
  type ConnectionEvents,
  type ErrorCode,
  type HandshakeRequest,
  type LogEvent,
  logEventFor,
  type MessageData,
  ReadyState,
  type SendOptions,
  type WebSocketConnection,
  type WebSocketServer,
} from '@wsgate/core';
import { closesOn, errorMessage, fromExceptionPayload, parseJsonMessage } from './messages.js';
import type { CloseOnError, ParsedMessage, WsgateMessageParser } from './options.js';

// --- types ------------------------------------------------------------------------------

/** How a gateway's server reads messages and reports errors. */
export interface Messaging {
  /** The parser in force (read per message, so that `setMessageParser` applies at any time). */
  readonly parser: () => WsgateMessageParser | undefined;
  readonly closeOnError: boolean | CloseOnError | undefined;
  readonly onLog: ((event: LogEvent) => void) | undefined;
}

type Transform = (data: unknown) => { subscribe(observer: object): { unsubscribe(): void } };
type ConnectionListener = (client: WsgateClient, request: IncomingMessage | undefined) => void;

// --- client -----------------------------------------------------------------------------

/**
 * One connected client, as `@ConnectedSocket()` and `handleConnection` receive it. `emit(event,
 * data)` sends `{ event, data }`; `send` sends a raw message; `connection` is core's connection.
 */
export class WsgateClient {
  /** Storage for the application (socket.io's habit), e.g. the user found at the handshake. */
  data: Record<string, unknown> = {};
  private readonly handlers = new Map<
    string,
    { readonly handler: WsMessageHandler; readonly transform: Transform }
  >();
  private readonly subscriptions = new Set<{ unsubscribe(): void }>();
  private closeCodeValue: number | undefined;
  private closeReasonValue: string | undefined;

  constructor(
    readonly connection: WebSocketConnection,
    /** The opening handshake: path, query, headers, remote address. */
    readonly handshake: HandshakeRequest,
    readonly server: WsgateServer,
  ) {
    connection.once('close', (code, reason) => {
      this.closeCodeValue = code;
      this.closeReasonValue = reason;
      for (const subscription of this.subscriptions) subscription.unsubscribe();
      this.subscriptions.clear();
    });
  }

  /** The close code once closed (set before `handleDisconnect` runs, on every Nest major). */
  get closeCode(): number | undefined {
    return this.closeCodeValue;
  }

  get closeReason(): string | undefined {
    return this.closeReasonValue;
  }

  /** Node's upgrade request (the second argument of `handleConnection`). */
  get request(): IncomingMessage | undefined {
    return this.handshake.incoming;
  }

  /** Whether messages can be sent (core's readyState is `open`). */
  get isOpen(): boolean {
    return this.connection.readyState === ReadyState.open;
  }

  /** The subprotocol agreed in the handshake, or "". */
  get protocol(): string {
    return this.connection.protocol;
  }

  /** Sends a raw message: strings as text, bytes as binary. False when not open. */
  send(data: string | Uint8Array | ArrayBuffer, options?: SendOptions): boolean {
    return this.connection.send(data, options);
  }

  /**
   * Sends `{ event, data }` as JSON. The `exception` event, which Nest's exception filters emit,
   * becomes the documented error message `{ event: 'error', data: { code, message, fix } }`.
   */
  emit(event: string, data?: unknown): boolean {
    if (event === 'exception') {
      const error = fromExceptionPayload(data);
      if (error.code === 'WSG_INTERNAL_ERROR') {
        this.server.messaging.onLog?.({
          ...logEventFor('WSG_INTERNAL_ERROR', {
            remoteAddress: this.connection.remoteAddress,
            path: this.handshake.path,
          }),
          event: 'wsgate.connection.handler_failed',
          detail: `a handler for ${JSON.stringify(error.pattern ?? 'unknown')} threw; Nest's WsExceptionsHandler logged it`,
        });
      }
      return this.refuse(error.code, error.message, error);
    }
    return this.send(JSON.stringify({ event, data }));
  }

  /** Starts the closing handshake (1000 by default). */
  close(code?: number, reason?: string): void {
    this.connection.close(code, reason);
  }

  /** Closes with a catalogue code: its close code and reason. */
  fail(code: ErrorCode, detail?: string): void {
    this.connection.fail(code, detail);
  }

  terminate(): void {
    this.connection.terminate();
  }

  on<K extends keyof ConnectionEvents>(
    event: K,
    listener: (...args: ConnectionEvents[K]) => void,
  ): this {
    (this.connection.on as (event: K, listener: (...args: ConnectionEvents[K]) => void) => void)(
      event,
      listener,
    );
    return this;
  }

  once<K extends keyof ConnectionEvents>(
    event: K,
    listener: (...args: ConnectionEvents[K]) => void,
  ): this {
    (this.connection.once as (event: K, listener: (...args: ConnectionEvents[K]) => void) => void)(
      event,
      listener,
    );
    return this;
  }

  off<K extends keyof ConnectionEvents>(
    event: K,
    listener: (...args: ConnectionEvents[K]) => void,
  ): this {
    (this.connection.off as (event: K, listener: (...args: ConnectionEvents[K]) => void) => void)(
      event,
      listener,
    );
    return this;
  }

  /**
   * Adds a gateway's `@SubscribeMessage` handlers (several gateways may share one path). Called
   * by the adapter for each gateway on each connection, before any message is read.
   */
  bindHandlers(handlers: readonly WsMessageHandler[], transform: Transform): void {
    if (this.handlers.size === 0) {
      this.connection.on('message', (data, isBinary) => this.dispatch(data, isBinary));
    }
    for (const handler of handlers) this.handlers.set(handler.message, { handler, transform });
  }

  /** Sends the error message for `code` and, when configured for it, closes with its code. */
  private refuse(
    code: ErrorCode,
    message: string,
    extra: { readonly pattern?: string | undefined; readonly details?: unknown } = {},
  ): boolean {
    const sent = this.send(errorMessage(code, message, extra));
    if (closesOn(this.server.messaging.closeOnError, code)) this.connection.fail(code, message);
    return sent;
  }

  private dispatch(data: MessageData, isBinary: boolean): void {
    let message: ParsedMessage | undefined;
    try {
      // A parser that returns nothing (void) drops the message on purpose.
      message = (this.server.messaging.parser() ?? parseJsonMessage)(data, isBinary) || undefined;
    } catch (error) {
      this.refuse('WSG_MESSAGE_MALFORMED', error instanceof Error ? error.message : String(error));
      return;
    }
    if (message === undefined) return;
    if (typeof message.event !== 'string') {
      this.refuse('WSG_MESSAGE_MALFORMED', 'the message parser returned no "event" string');
      return;
    }
    const bound = this.handlers.get(message.event);
    if (bound === undefined) {
      const known = [...this.handlers.keys()].map((event) => JSON.stringify(event)).join(', ');
      this.refuse(
        'WSG_EVENT_UNHANDLED',
        `no handler for ${JSON.stringify(message.event)}; this endpoint handles ${known || 'no events'}`,
        { pattern: message.event },
      );
      return;
    }
    const pattern = message.event;
    const failed = (error: unknown): void => {
      // Nest's exception filters catch handler errors; this is for what escapes them.
      this.server.messaging.onLog?.({
        ...logEventFor('WSG_INTERNAL_ERROR', {
          remoteAddress: this.connection.remoteAddress,
          path: this.handshake.path,
        }),
        event: 'wsgate.connection.handler_failed',
        detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      this.refuse('WSG_INTERNAL_ERROR', 'Internal server error', { pattern });
    };
    let settled = false;
    let subscription: { unsubscribe(): void } | undefined;
    const release = (): void => {
      settled = true;
      if (subscription !== undefined) this.subscriptions.delete(subscription);
    };
    try {
      const invoked: unknown = bound.handler.callback(message.data, pattern);
      // Nest runs guards, pipes and the handler asynchronously: read the next message (or a
      // close) only once this one is handled, so replies keep their order and precede a close.
      const pending = isThenable(invoked);
      if (pending) this.connection.pause();
      const result = bound.transform(invoked);
      subscription = result.subscribe({
        next: (response: unknown) => {
          // WsAdapter's habit: a handler's result (a WsResponse `{ event, data }`) goes out as JSON.
          if (response === undefined || response === null) return;
          try {
            this.send(JSON.stringify(response));
          } catch (error) {
            failed(error);
          }
        },
        error: (error: unknown) => {
          release();
          failed(error);
        },
        complete: release,
      });
      if (pending) {
        const resume = (): void => this.connection.resume();
        (invoked as PromiseLike<unknown>).then(resume, resume);
      }
    } catch (error) {
      this.connection.resume();
      failed(error);
      return;
    }
    // Results still streaming (an Observable) stop when the connection closes.
    if (settled) return;
    if (this.isOpen) this.subscriptions.add(subscription);
    else subscription.unsubscribe();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

// --- server -----------------------------------------------------------------------------

/**
 * What `@WebSocketServer()` injects and `afterInit` receives: the clients of one gateway path,
 * a broadcast, and core's server doing the handshakes.
 */
export class WsgateServer {
  readonly clients = new Set<WsgateClient>();
  private readonly listeners: ConnectionListener[] = [];

  constructor(
    /** Core's server: RFC checks, the Origin allow-list, handshake hooks, limits. */
    readonly core: WebSocketServer,
    /** 0 when on the app's HTTP server. */
    readonly port: number,
    /** The path served; undefined serves every path of its own port. */
    readonly path: string | undefined,
    readonly messaging: Messaging,
  ) {
    core.on('connection', (connection, handshake) => this.accept(connection, handshake));
  }

  /** Nest's `bindClientConnect`: called with (client, upgrade request) for each connection. */
  on(event: 'connection', listener: ConnectionListener): this {
    if (event === 'connection') this.listeners.push(listener);
    return this;
  }

  /** Sends `{ event, data }` to every open client (socket.io's `server.emit`); returns how many. */
  emit(event: string, data?: unknown): number {
    const text = JSON.stringify({ event, data });
    let sent = 0;
    for (const client of this.clients) {
      if (!client.isOpen) continue;
      client.send(text);
      sent++;
    }
    return sent;
  }

  /** Closes every connection with 1001 and refuses new handshakes (503). */
  close(timeoutMs?: number): Promise<void> {
    return this.core.close(timeoutMs === undefined ? {} : { timeoutMs });
  }

  private accept(connection: WebSocketConnection, handshake: HandshakeRequest): void {
    const client = new WsgateClient(connection, handshake, this);
    this.clients.add(client);
    connection.once('close', () => this.clients.delete(client));
    try {
      for (const listener of this.listeners) listener(client, handshake.incoming);
    } catch (error) {
      this.messaging.onLog?.({
        ...logEventFor('WSG_INTERNAL_ERROR', {
          remoteAddress: connection.remoteAddress,
          path: handshake.path,
        }),
        event: 'wsgate.connection.handler_failed',
        detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      connection.fail('WSG_INTERNAL_ERROR', 'the connection handler threw');
    }
  }
}
