import type { WsMessageHandler } from '@nestjs/common';
import type {
  HandshakeRequest,
  PresenceMember,
  Subscribed,
  SubscribeOptions,
  TopicPosition,
  WebSocketConnection,
  WebSocketServer,
} from '@wsgate/core';
import {
  type EventOptions,
  EventServer,
  EventSocket,
  encodeEventMessage,
  eventErrorMessage,
} from '@wsgate/core/adapter';
import { fromExceptionPayload } from './messages.js';
import { inHandlerRun, noteRefusal, takeRefusal } from './topic-refusals.js';

// --- types ------------------------------------------------------------------------------

/** How a gateway's server reads messages and reports errors (the parser is read per message). */
export type Messaging = EventOptions;

type Subscription = { readonly closed: boolean; unsubscribe(): void };
type Transform = (data: unknown) => { subscribe(observer: object): Subscription };

// --- client -----------------------------------------------------------------------------

/**
 * One connected client, as `@ConnectedSocket()` and `handleConnection` receive it: core's
 * EventSocket (`emit(event, data)` sends `{ event, data }`, `send` a raw message, `connection`
 * is core's connection), whose messages go to the gateways' `@SubscribeMessage` handlers.
 */
export class WsgateClient extends EventSocket {
  private readonly subscriptions = new Set<Subscription>();

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
    const refusal = error.code === 'WSG_INTERNAL_ERROR' ? takeRefusal() : undefined;
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
   * by the adapter for each gateway on each connection, before any message is read.
   */
  bindHandlers(handlers: readonly WsMessageHandler[], transform: Transform): void {
    this.addHandlers(
      handlers.map(({ message, callback }) => [
        message as string,
        (data: unknown, pattern: string) => this.run(callback, transform, data, pattern),
      ]),
    );
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
    subscription = transform(invoked).subscribe({
      next: (response: unknown) => {
        // WsAdapter's habit: a handler's result (a WsResponse `{ event, data }`) goes out as JSON.
        if (response === undefined || response === null) return;
        try {
          this.send(JSON.stringify(response));
        } catch (error) {
          this.handlerFailed(error, pattern);
        }
      },
      error: (error: unknown) => {
        release();
        // Nest's exception filters catch handler errors; this is for what escapes them.
        this.handlerFailed(error, pattern);
      },
      complete: release,
    });
    // Results still streaming (an Observable) stop when the connection closes.
    if (!subscription.closed) {
      if (this.isOpen) this.subscriptions.add(subscription);
      else subscription.unsubscribe();
    }
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
