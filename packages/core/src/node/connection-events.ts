import type { ClosingCode } from '../errors/catalogue.js';
import { logEventFor, logEventForException } from '../errors/log-event.js';
import type { WebSocketConnection } from './connection.js';
import type { ConnectionEvents, ConnectionSettings } from './connection-options.js';
import { SendVerdict } from './send-queue.js';

// How a connection tells its application what happened. A listener that throws closes its
// connection (1011) rather than becoming an uncaught exception that ends the process. Module
// functions with the connection as argument: nothing per connection (see connection-timers.ts).

type Log = ConnectionSettings['log'];

/** The bytes of a message or control frame as the application gets them: a Buffer, never copied. */
export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** A listener or handler of the connection threw: logged, an 'error' event if anyone listens, then close 1011. */
export function handlerFailed(connection: WebSocketConnection, log: Log, error: unknown): void {
  log?.(logEventForException('connection', error, { remoteAddress: connection.remoteAddress }));
  if (connection.listenerCount('error') > 0)
    connection.emit('error', error instanceof Error ? error : new Error(String(error)));
  connection.fail('WSG_INTERNAL_ERROR', 'a message handler threw');
}

/** Emits `event`; a listener that throws fails the connection (once closed, it is only logged). */
export function emitSafely<K extends keyof ConnectionEvents>(
  connection: WebSocketConnection,
  log: Log,
  event: K,
  ...args: ConnectionEvents[K]
): void {
  try {
    (connection.emit as (event: K, ...args: ConnectionEvents[K]) => boolean)(event, ...args);
  } catch (error) {
    if (event === 'close') {
      log?.(logEventForException('connection', error, { remoteAddress: connection.remoteAddress }));
    } else {
      handlerFailed(connection, log, error);
    }
  }
}

/** Logs why the connection ends, with the catalogue code. */
export function logEnding(
  connection: WebSocketConnection,
  log: Log,
  code: ClosingCode,
  detail: string | undefined,
): void {
  log?.(logEventFor(code, { detail, remoteAddress: connection.remoteAddress }));
}

/** The slow-consumer policy's answer to a message that would pass `maxBufferedBytes`. */
export function refuseSend(
  connection: WebSocketConnection,
  settings: ConnectionSettings,
  verdict: SendVerdict,
  buffered: number,
  bytes: number,
): false {
  settings.traffic?.slowConsumer(verdict === SendVerdict.drop);
  if (verdict === SendVerdict.drop) connection.emit('drop', bytes);
  else {
    const cap = settings.maxBufferedBytes;
    connection.fail('WSG_SEND_BUFFER_FULL', `${buffered} bytes already waiting; the cap is ${cap}`);
  }
  return false;
}

/** Resolves once buffered bytes have been written out (or the connection closed). */
export function whenDrained(connection: WebSocketConnection): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      connection.off('drain', done);
      connection.off('close', done);
      resolve();
    };
    connection.on('drain', done);
    connection.on('close', done);
  });
}
