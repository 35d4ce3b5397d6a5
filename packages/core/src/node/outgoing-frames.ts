import type { WebSocketConnection } from './connection.js';
import type { ConnectionSettings } from './connection-options.js';
import { flushAtEndOfTick } from './connection-timers.js';
import type { OwnedSocket } from './socket-binding.js';
import { writeBatch } from './write-batch.js';

/**
 * The frames a connection sent that are not in its socket yet. Everything sent in one tick (the
 * echoes of a read full of messages) leaves in one write system call, rather than one per frame:
 * at the end of the chunk being received, else at the end of the tick. The socket and the
 * connection are passed in rather than kept (memory per idle connection).
 */
export class OutgoingFrames {
  /** True while a received chunk is parsed: its end writes what was sent meanwhile. */
  receiving = false;
  /** The total size of the frames waiting. */
  bytes = 0;
  /** Frames (headers and payloads) waiting for the end of the chunk or of the tick. */
  #pending: Uint8Array[] | undefined;
  #flushScheduled = false;

  add(bytes: Uint8Array, socket: OwnedSocket, connection: WebSocketConnection): void {
    if (socket.destroyed || socket.writableEnded) return;
    if (!this.#flushScheduled && !this.receiving) {
      this.#flushScheduled = true;
      flushAtEndOfTick(connection);
    }
    if (this.#pending === undefined) this.#pending = [];
    this.#pending.push(bytes);
    this.bytes += bytes.length;
  }

  /** The end of the tick: see flushAtEndOfTick. */
  flush(socket: OwnedSocket, connection: WebSocketConnection, settings: ConnectionSettings): void {
    this.#flushScheduled = false;
    this.write(socket, connection, settings);
  }

  /** Writes the frames waiting, in one go (see writeBatch). */
  write(socket: OwnedSocket, connection: WebSocketConnection, settings: ConnectionSettings): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    const total = this.bytes;
    this.#pending = undefined;
    this.bytes = 0;
    if (socket.destroyed || socket.writableEnded) return;
    writeBatch(socket, pending, total);
    settings.traffic?.batchSent(total);
    // Once per flush, not per message; a queue below the high-water mark is not counted.
    const budget = settings.sendBudget;
    if (budget !== undefined && socket.writableLength >= socket.writableHighWaterMark)
      budget.report(connection, socket.writableLength);
  }
}
