import type { WsMessageHandler } from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import type {
  HandshakeRequest,
  PresenceMember,
  Subscribed,
  SubscribeOptions,
  TopicPosition,
  WebSocketConnection,
  WebSocketServer,
  WsgateError,
} from '@wsgate/core';
import {
  type EventOptions,
  EventServer,
  EventSocket,
  encodeEventMessage,
  eventErrorMessage,
} from '@wsgate/core/adapter';
import { type DirectHandler, directArguments, type GatewayPlace } from './direct-handlers.js';
import { inMessageSpan, markMessageSpanFailed } from './message-spans.js';
import { fromExceptionPayload, nestExceptionPayload } from './messages.js';
import { asRefusal, inHandlerRun, noteRefusal, takeRefusal } from './topic-refusals.js';

// --- types ------------------------------------------------------------------------------

/** How a gateway's server reads messages and reports errors (the parser is read per message). */
export type Messaging = EventOptions;

type Subscription = { readonly closed: boolean; unsubscribe(): void };
type Subscribable = { subscribe(observer: object): Subscription };
type Transform = (data: unknown) => Subscribable;

/** How a gateway server's clients run their handlers (the adapter's options and findings). */
export interface MessageHandling {
  /** One OpenTelemetry span per handler call (the adapter's `traceMessages`). */
  readonly traceMessages: boolean;
  /** The handlers that may be called without Nest's wrapping (see direct-handlers.ts). */
  readonly findDirect: (
    place: GatewayPlace,
    messages: readonly unknown[],
  ) => readonly (DirectHandler | undefined)[] | undefined;
  /** Logs what Nest's WsExceptionsHandler logs (with Nest's Logger), for direct handlers. */
  readonly logNestError: ((error: unknown) => void) | undefined;
}

/** Every handler through Nest, no spans: for a server made without the adapter's findings. */
const NEST_PATH_ONLY: MessageHandling = {
  traceMessages: false,
  findDirect: () => undefined,
  logNestError: undefined,
};

/** rxjs's isObservable, without importing rxjs (the application's copy made the value). */
function isObservable(value: unknown): value is Subscribable {
  const candidate = value as { lift?: unknown; subscribe?: unknown } | null | undefined;
  return typeof candidate?.lift === 'function' && typeof candidate.subscribe === 'function';
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null | undefined)?.then === 'function';
}

// --- client -----------------------------------------------------------------------------

/**
 * One connected client, as `@ConnectedSocket()` and `handleConnection` receive it: core's
 * EventSocket (`emit(event, data)` sends `{ event, data }`, `send` a raw message, `connection`
 * is core's connection), whose messages go to the gateways' `@SubscribeMessage` handlers.
 */
export class WsgateClient extends EventSocket {
  private readonly subscriptions = new Set<Subscription>();
  /** The span of the handler running now (traceMessages), for the error it reports. */
  private span: Span | undefined;
  /** A direct handler's topic refusal, while its exception is being emitted. */
  private directRefusal: WsgateError | undefined;

  constructor(
    connection: WebSocketConnection,
    handshake: HandshakeRequest,
    readonly server: WsgateServer,
  ) {
    super(connection, handshake, server.messaging);
    connection.once('close', () => {
      for (const subscription of this.subscriptions) subscription.unsubscribe();
      this.subscriptions.clear();
    });
  }

  /**
   * Sends `{ event, data }` as JSON. The `exception` event, which Nest's exception filters emit,
   * becomes the documented error message `{ event: 'error', data: { code, message, fix } }`.
   * A handler that failed because a topic call did (`join('')`) reports that call's code.
   */
  override emit(event: string, data?: unknown): boolean {
    if (event !== 'exception') return super.emit(event, data);
    const error = fromExceptionPayload(data);
    const refusal =
      error.code === 'WSG_INTERNAL_ERROR' ? (this.directRefusal ?? takeRefusal()) : undefined;
    markMessageSpanFailed(this.span, refusal?.code ?? error.code);
    if (refusal !== undefined) {
      // Topic codes close nothing (the catalogue's word): the connection stays open.
      const message = `${refusal.title}${refusal.detail === undefined ? '' : ` (${refusal.detail})`}`;
      const pattern = error.pattern === undefined ? {} : { pattern: error.pattern };
      return this.send(eventErrorMessage(refusal.code, message, pattern));
    }
    if (error.code === 'WSG_INTERNAL_ERROR') {
      this.logFailure(
        `a handler for ${JSON.stringify(error.pattern ?? 'unknown')} threw; Nest's WsExceptionsHandler logged it`,
      );
    }
    return this.sendError(error.code, error.message, error);
  }

  /**
   * Joins a topic (socket.io's `client.join(room)`): what is published to it reaches this client,
   * from every process on the adapter's `backplane`. `since` recovers missed messages,
   * `presence` joins the topic's presence.
   */
  join(topic: string, options?: SubscribeOptions): Promise<Subscribed> {
    return noteRefusal(() => this.connection.subscribe(topic, options));
  }

  /** Leaves a topic (and its presence). */
  leave(topic: string): Promise<void> {
    return noteRefusal(() => this.connection.unsubscribe(topic));
  }

  /** The topics this client has joined. */
  get topics(): ReadonlySet<string> {
    return this.connection.topics;
  }

  /**
   * Adds a gateway's `@SubscribeMessage` handlers (several gateways may share one path). Called
   * by the adapter for each gateway on each connection, before any message is read. A handler
   * without guards, pipes, interceptors or filters is called directly, with the same arguments,
   * results and errors as through Nest.
   */
  bindHandlers(handlers: readonly WsMessageHandler[], transform: Transform): void {
    const { handling } = this.server;
    const direct = handling.findDirect(
      this.server,
      handlers.map(({ message }) => message),
    );
    const path = this.handshake.path;
    this.addHandlers(
      handlers.map(({ message, callback }, index) => {
        const pattern = message as string;
        const fast = direct?.[index];
        const run =
          fast === undefined
            ? (data: unknown, event: string) => this.run(callback, transform, data, event)
            : (data: unknown, event: string) => this.runDirect(fast, pattern, data, event);
        if (!handling.traceMessages) return [pattern, run];
        return [
          pattern,
          (data: unknown, event: string) =>
            inMessageSpan(pattern, path, (span) => {
              // Kept until the handler settles: Nest's filter reports its error after an await.
              // The connection reads no other message meanwhile.
              this.span = span;
              let result: unknown;
              try {
                result = run(data, event);
              } finally {
                if (!isThenable(result)) this.span = undefined;
              }
              if (isThenable(result)) {
                const clear = (): void => {
                  if (this.span === span) this.span = undefined;
                };
                result.then(clear, clear);
              }
              return result;
            }),
        ];
      }),
    );
  }

  /**
   * Calls a handler that needs nothing of Nest's wrapping, as Nest would: its parameters from
   * Nest's param metadata, its result (a value, a `{ event, data }`, a Promise, an Observable)
   * sent as JSON, its error reported as Nest's BaseWsExceptionFilter reports it. Returns a
   * promise only while a Promise result is pending, so that core reads the next message after.
   */
  private runDirect(
    handler: DirectHandler,
    pattern: string,
    data: unknown,
    event: string,
  ): unknown {
    const span = this.span;
    let result: unknown;
    try {
      const args = directArguments(handler.params, this, data, event, pattern);
      result = handler.method.apply(handler.instance, args);
    } catch (error) {
      this.directFailed(error, pattern, data, span);
      return undefined;
    }
    if (!isThenable(result)) {
      this.deliver(result, pattern, data, span);
      return undefined;
    }
    return result.then(
      (value) => this.deliver(value, pattern, data, span),
      (error: unknown) => this.directFailed(error, pattern, data, span),
    );
  }

  /** Sends a direct handler's result: each value of an Observable, or the value itself. */
  private deliver(result: unknown, pattern: string, data: unknown, span: Span | undefined): void {
    if (!isObservable(result)) {
      this.reply(result, pattern);
      return;
    }
    let subscription: Subscription | undefined;
    const release = (): void => {
      if (subscription !== undefined) this.subscriptions.delete(subscription);
    };
    subscription = result.subscribe({
      next: (response: unknown) => this.reply(response, pattern),
      error: (error: unknown) => {
        release();
        this.directFailed(error, pattern, data, span);
      },
      complete: release,
    });
    this.keep(subscription);
  }

  /** What Nest's exception filter does for a handler with no filter of its own. */
  private directFailed(
    error: unknown,
    pattern: string,
    data: unknown,
    span: Span | undefined,
  ): void {
    const { payload, log } = nestExceptionPayload(error, pattern, data);
    const outer = this.span;
    this.span = span;
    this.directRefusal = asRefusal(error);
    try {
      this.emit('exception', payload);
    } finally {
      this.directRefusal = undefined;
      this.span = outer;
    }
    if (!log) return;
    const logNestError = this.server.handling.logNestError;
    if (logNestError !== undefined) logNestError(error);
    else this.logFailure(error);
  }

  /** WsAdapter's habit: a handler's result (a WsResponse `{ event, data }`) goes out as JSON. */
  private reply(response: unknown, pattern: string): void {
    if (response === undefined || response === null) return;
    try {
      this.send(JSON.stringify(response));
    } catch (error) {
      markMessageSpanFailed(this.span, 'WSG_INTERNAL_ERROR', error);
      this.handlerFailed(error, pattern);
    }
  }

  /** Results still streaming (an Observable) stop when the connection closes. */
  private keep(subscription: Subscription): void {
    if (subscription.closed) return;
    if (this.isOpen) this.subscriptions.add(subscription);
    else subscription.unsubscribe();
  }

  /**
   * Runs a handler through Nest (guards, pipes, interceptors, filters) and sends what it
   * returns. Returns Nest's promise, so that core reads the next message once it settles.
   */
  private run(
    callback: WsMessageHandler['callback'],
    transform: Transform,
    data: unknown,
    pattern: string,
  ): unknown {
    const invoked: unknown = inHandlerRun(() => callback(data, pattern));
    let subscription: Subscription | undefined;
    const release = (): void => {
      if (subscription !== undefined) this.subscriptions.delete(subscription);
    };
    const span = this.span;
    subscription = transform(invoked).subscribe({
      next: (response: unknown) => this.reply(response, pattern),
      error: (error: unknown) => {
        release();
        // Nest's exception filters catch handler errors; this is for what escapes them.
        markMessageSpanFailed(span, 'WSG_INTERNAL_ERROR', error);
        this.handlerFailed(error, pattern);
      },
      complete: release,
    });
    this.keep(subscription);
    return invoked;
  }
}

// --- server -----------------------------------------------------------------------------

/**
 * What `@WebSocketServer()` injects and `afterInit` receives: the clients of one gateway path,
 * a broadcast (`emit`), and core's server doing the handshakes (`core`).
 */
export class WsgateServer extends EventServer<WsgateClient> {
  constructor(
    core: WebSocketServer,
    /** 0 when on the app's HTTP server. */
    readonly port: number,
    /** The path served; undefined serves every path of its own port. */
    readonly path: string | undefined,
    messaging: Messaging,
    readonly handling: MessageHandling = NEST_PATH_ONLY,
  ) {
    super(core, messaging);
  }

  /** Publishes raw data to a topic's subscribers, on every process of the `backplane`. */
  publish(topic: string, data: string | Uint8Array): Promise<TopicPosition> {
    return noteRefusal(() => this.core.publish(topic, data));
  }

  /**
   * socket.io's `server.to(room).emit(event, data)`: `{ event, data }` as JSON to every client
   * that joined the topic, on every process.
   */
  to(topic: string): { emit(event: string, data?: unknown): Promise<TopicPosition> } {
    return {
      emit: (event, data) =>
        noteRefusal(() => this.core.publish(topic, encodeEventMessage(event, data))),
    };
  }

  /** The members of the topic's presence, on every process. */
  presence(topic: string): Promise<readonly PresenceMember[]> {
    return noteRefusal(() => this.core.presence(topic));
  }

  protected override createSocket(
    connection: WebSocketConnection,
    handshake: HandshakeRequest,
  ): WsgateClient {
    return new WsgateClient(connection, handshake, this);
  }
}
