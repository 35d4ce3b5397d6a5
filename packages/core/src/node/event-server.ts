import type { IncomingMessage } from 'node:http';
import { encodeEventMessage } from '../adapter/event-message.js';
import type { WebSocketConnection } from './connection.js';
import { type EventOptions, EventSocket } from './event-socket.js';
import type { HandshakeRequest } from './handshake-request.js';
import type { WebSocketServer } from './server.js';

export type EventSocketListener<Socket extends EventSocket> = (
  socket: Socket,
  request: IncomingMessage | undefined,
) => void;

/**
 * The event sockets of one endpoint: every connection of `core` becomes an EventSocket (see
 * `createSocket`), which the `connection` listeners receive; `emit` broadcasts to them all.
 */
export class EventServer<Socket extends EventSocket = EventSocket> {
  readonly clients = new Set<Socket>();
  private readonly listeners: EventSocketListener<Socket>[] = [];

  constructor(
    /** Core's server: RFC checks, the Origin allow-list, handshake hooks, limits. */
    readonly core: WebSocketServer,
    readonly messaging: EventOptions,
  ) {
    core.on('connection', (connection, handshake) => this.accept(connection, handshake));
  }

  /** Called with (socket, upgrade request) for each connection. */
  on(event: 'connection', listener: EventSocketListener<Socket>): this {
    if (event === 'connection') this.listeners.push(listener);
    return this;
  }

  /** Sends `{ event, data }` to every open socket (socket.io's `server.emit`); returns how many. */
  emit(event: string, data?: unknown): number {
    const text = encodeEventMessage(event, data);
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

  /** The socket for a new connection; a subclass returns its own kind. */
  protected createSocket(connection: WebSocketConnection, handshake: HandshakeRequest): Socket {
    return new EventSocket(connection, handshake, this.messaging) as Socket;
  }

  private accept(connection: WebSocketConnection, handshake: HandshakeRequest): void {
    const client = this.createSocket(connection, handshake);
    this.clients.add(client);
    connection.once('close', () => this.clients.delete(client));
    try {
      for (const listener of this.listeners) listener(client, handshake.incoming);
    } catch (error) {
      // A listener that throws leaves the socket half set up: closed 1011, logged with the stack.
      client.logFailure(error);
      connection.fail('WSG_INTERNAL_ERROR', 'the connection handler threw');
    }
  }
}
