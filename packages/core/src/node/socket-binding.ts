import type { Duplex } from 'node:stream';
import type { WebSocketConnection } from './connection.js';

/**
 * Where a socket keeps what owns it: a standalone server's pending handshake
 * (standalone-handshakes.ts), then its connection. One slot for both keeps every socket a field
 * smaller. Not part of any entry point.
 */
export const kSocketOwner = Symbol('wsgate.owner');

export type OwnedSocket = Duplex & { [kSocketOwner]?: WebSocketConnection };

// Listeners are shared by every socket and find their connection through a symbol, so that a
// connection costs no closures (this is what keeps memory per idle connection low).
export function socketOnData(this: OwnedSocket, chunk: Buffer): void {
  this[kSocketOwner]?.receiveChunk(chunk);
}
function socketOnEnd(this: OwnedSocket): void {
  this[kSocketOwner]?.socketEnded();
}
function socketOnClose(this: OwnedSocket): void {
  this[kSocketOwner]?.socketClosed();
}
function socketOnError(this: OwnedSocket, error: Error): void {
  this[kSocketOwner]?.socketFailed(error);
}
function socketOnDrain(this: OwnedSocket): void {
  this[kSocketOwner]?.socketDrained();
}
function ignoreLateError(): void {}

/** Hands `socket` to `connection`: its events go to the connection from now on (reading waits for `start`). */
export function bindSocket(socket: OwnedSocket, connection: WebSocketConnection): void {
  socket[kSocketOwner] = connection;
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
}

/** Detaches a closed connection's listeners, so that a socket kept by someone keeps nothing of it. */
export function unbindSocket(socket: OwnedSocket): void {
  socket.off('data', socketOnData);
  socket.off('end', socketOnEnd);
  socket.off('error', socketOnError);
  socket.off('drain', socketOnDrain);
  socket.off('close', socketOnClose);
  // A late 'error' from the socket must not crash the process.
  socket.on('error', ignoreLateError);
}
