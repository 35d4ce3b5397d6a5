import type { Duplex } from 'node:stream';
import type { DeflateAgreement, DeflateOptions } from '../protocol/permessage-deflate.js';
import type { ConnectOptions } from './client.js';
import { WebSocketConnection } from './connection.js';
import { createSessionCompression } from './zlib-codec.js';

/** What a client's accepted handshake agreed, over HTTP/1.1 or HTTP/2 alike. */
export interface ClientAgreement {
  readonly subprotocol: string | undefined;
  /** The server's Sec-WebSocket-Extensions, as it sent it. */
  readonly extensions: string | undefined;
  readonly deflate: DeflateAgreement | undefined;
  readonly deflateOptions: DeflateOptions;
}

/**
 * The client's connection over `stream` once the server accepted, with the caller's limits and
 * its heartbeat (one timer per client connection, stopped when it closes). Not started: the
 * caller starts it once listeners can be attached.
 */
export function clientConnection(
  stream: Duplex,
  options: ConnectOptions,
  agreed: ClientAgreement,
): WebSocketConnection {
  const connection = new WebSocketConnection(stream, {
    side: 'client',
    subprotocol: agreed.subprotocol,
    extensions: agreed.extensions,
    compression:
      agreed.deflate === undefined
        ? undefined
        : createSessionCompression(agreed.deflate, 'client', agreed.deflateOptions),
    maxMessageBytes: options.maxMessageBytes,
    closeTimeoutMs: options.closeTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    maxMessagesPerSecond: options.maxMessagesPerSecond,
    maxBufferedBytes: options.maxBufferedBytes,
    slowConsumerPolicy: options.slowConsumerPolicy,
    textAs: options.textAs,
  });
  const heartbeatMs = options.heartbeatIntervalMs ?? 0;
  if (heartbeatMs > 0) {
    const heartbeat = setInterval(() => connection.heartbeat(), heartbeatMs);
    heartbeat.unref();
    connection.once('close', () => clearInterval(heartbeat));
  }
  return connection;
}
