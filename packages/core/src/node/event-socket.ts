import type { IncomingMessage } from 'node:http';
import {
  type EventMessage,
  encodeEventMessage,
  parseEventMessage,
} from '../adapter/event-message.js';
import type { ClosingCode } from '../errors/catalogue.js';
import {
  type CloseOnError,
  closesOnError,
  type EventErrorExtra,
  eventErrorMessage,
} from '../errors/event-error.js';
import { type LogEvent, logEventForException } from '../errors/log-event.js';
import {
  type ConnectionEvents,
  type MessageData,
  ReadyState,
  type SendOptions,
  type WebSocketConnection,
} from './connection.js';
import type { HandshakeRequest } from './handshake-request.js';

/**
 * Turns a raw message into `{ event, data }`. Throw to report the message as
 * WSG_MESSAGE_MALFORMED (the error's message becomes the detail); return nothing to drop it.
 */
export type EventParser = (
  data: MessageData,
  isBinary: boolean,
  // biome-ignore lint/suspicious/noConfusingVoidType: a parser that returns nothing drops the message.
) => EventMessage | undefined | void;

/** Handles the data of one event. A returned promise holds the next message until it settles. */
export type EventHandler = (data: unknown, event: string) => unknown;

/** How an event socket reads messages and reports errors. */
export interface EventOptions {
  /** The parser in force, read for each message (so that it may change at any time); JSON by default. */
  readonly parser: () => EventParser | undefined;
  readonly closeOnError: boolean | CloseOnError | undefined;
  /** Receives the application's failures (wsgate.connection.handler_failed, with the stack). */
  readonly onLog: ((event: LogEvent) => void) | undefined;
}

/** What the peer is told of a handler's unhandled error: nothing of the error itself. */
const INTERNAL_ERROR_MESSAGE = 'Internal server error';

/**
 * A connection that speaks the event protocol: `emit(event, data)` sends `{ event, data }` as
 * JSON, each message received goes to the handler of its event, in order, and whatever goes
 * wrong with a message reaches the peer as `{ event: 'error', data: { code, message, fix } }`
 * (then a close, where `closeOnError` asks for one).
 */
export class EventSocket {
  /** Storage for the application (socket.io's habit), e.g. the user found at the handshake. */
  data: Record<string, unknown> = {};
  private handlers: Map<string, EventHandler> | undefined;
  private closeCodeValue: number | undefined;
  private closeReasonValue: string | undefined;

  constructor(
    readonly connection: WebSocketConnection,
    /** The opening handshake: path, query, headers, remote address. */
    readonly handshake: HandshakeRequest,
    readonly messaging: EventOptions,
  ) {
    connection.once('close', (code, reason) => {
      this.closeCodeValue = code;
      this.closeReasonValue = reason;
    });
  }

  /** The close code once closed (set before any later `close` listener runs). */
  get closeCode(): number | undefined {
    return this.closeCodeValue;
  }

  get closeReason(): string | undefined {
    return this.closeReasonValue;
  }

  /** Node's upgrade request, when the handshake came through an http server. */
  get request(): IncomingMessage | undefined {
    return this.handshake.incoming;
  }

  /** Whether messages can be sent (the connection is open). */
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

  /** Sends `{ event, data }` as JSON. */
  emit(event: string, data?: unknown): boolean {
    return this.send(encodeEventMessage(event, data));
  }

  /** Starts the closing handshake (1000 by default). */
  close(code?: number, reason?: string): void {
    this.connection.close(code, reason);
  }

  /** Closes with a catalogue code: its close code and reason. */
  fail(code: ClosingCode, detail?: string): void {
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
   * Adds event handlers (an event's later handler replaces the earlier one). The first call
   * starts reading messages, even with no handler: every event is then unhandled.
   */
  addHandlers(handlers: Iterable<readonly [event: string, handler: EventHandler]>): void {
    if (this.handlers === undefined) {
      this.handlers = new Map();
      this.connection.on('message', (data, isBinary) => this.receive(data, isBinary));
    }
    for (const [event, handler] of handlers) this.handlers.set(event, handler);
  }

  /** Sends the error message for `code` and, when `closeOnError` says so, closes with its code. */
  sendError(code: ClosingCode, message: string, extra: EventErrorExtra = {}): boolean {
    const sent = this.send(eventErrorMessage(code, message, extra));
    if (closesOnError(this.messaging.closeOnError, code)) this.connection.fail(code, message);
    return sent;
  }

  /** A handler failed: logged with its stack, the peer gets WSG_INTERNAL_ERROR without it. */
  handlerFailed(error: unknown, pattern?: string): void {
    this.logFailure(error);
    this.sendError('WSG_INTERNAL_ERROR', INTERNAL_ERROR_MESSAGE, { pattern });
  }

  /** Logs an application failure on this connection (wsgate.connection.handler_failed). */
  logFailure(error: unknown): void {
    this.messaging.onLog?.(
      logEventForException('connection', error, {
        remoteAddress: this.connection.remoteAddress,
        path: this.handshake.path,
      }),
    );
  }

  private receive(data: MessageData, isBinary: boolean): void {
    let message: EventMessage | undefined;
    try {
      // A parser that returns nothing (void) drops the message on purpose.
      message = (this.messaging.parser() ?? parseEventMessage)(data, isBinary) || undefined;
    } catch (error) {
      this.sendError(
        'WSG_MESSAGE_MALFORMED',
        error instanceof Error ? error.message : String(error),
      );
      return;
    }
    if (message === undefined) return;
    const event = message.event;
    if (typeof event !== 'string') {
      this.sendError('WSG_MESSAGE_MALFORMED', 'the message parser returned no "event" string');
      return;
    }
    const handlers = this.handlers as Map<string, EventHandler>;
    const handler = handlers.get(event);
    if (handler === undefined) {
      const known = [...handlers.keys()].map((name) => JSON.stringify(name)).join(', ');
      this.sendError(
        'WSG_EVENT_UNHANDLED',
        `no handler for ${JSON.stringify(event)}; this endpoint handles ${known || 'no events'}`,
        { pattern: event },
      );
      return;
    }
    let result: unknown;
    try {
      result = handler(message.data, event);
    } catch (error) {
      this.handlerFailed(error, event);
      return;
    }
    if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') return;
    // The next message (or a close) is read only once this one is handled, so that replies keep
    // their order and precede a close. The session holds the bytes; the socket stops reading
    // only if more arrive meanwhile, so an asynchronous handler costs no system call.
    const connection = this.connection;
    connection.pause();
    const resume = (): void => connection.resume();
    (result as PromiseLike<unknown>).then(resume, resume);
  }
}
