import type { WebSocketConnection } from './connection.js';

/**
 * The bytes a server holds for all of its peers that do not read (`maxBufferedBytesTotal`).
 * `maxBufferedBytes` bounds each peer; this bounds their sum, which would otherwise grow with
 * the number of connections. Only a queue past the socket's high-water mark is counted, as
 * reported after each flush (nothing per message): a fast reader costs nothing here. When the
 * sum passes the budget, the peers holding most are closed first, at once (their queues go with
 * their sockets; a close frame would wait behind what they do not read).
 */
export class SendBudget {
  /** The queue each counted connection reported last; it only shrinks once drained. */
  readonly #queued = new Map<WebSocketConnection, number>();
  #total = 0;

  constructor(readonly maxBytes: number) {}

  get totalBytes(): number {
    return this.#total;
  }

  /** After a flush, `connection` still holds `bytes` past its socket's high-water mark. */
  report(connection: WebSocketConnection, bytes: number): void {
    this.#total += bytes - (this.#queued.get(connection) ?? 0);
    this.#queued.set(connection, bytes);
    if (this.#total > this.maxBytes) this.#closeLargest();
  }

  /** `connection` drained its queue, or closed. */
  release(connection: WebSocketConnection): void {
    const bytes = this.#queued.get(connection);
    if (bytes === undefined) return;
    this.#queued.delete(connection);
    this.#total -= bytes;
  }

  #closeLargest(): void {
    while (this.#total > this.maxBytes && this.#queued.size > 0) {
      let largest: WebSocketConnection | undefined;
      let largestBytes = -1;
      for (const [connection, bytes] of this.#queued) {
        if (bytes > largestBytes) {
          largest = connection;
          largestBytes = bytes;
        }
      }
      if (largest === undefined) return;
      this.release(largest);
      largest.abort(
        'WSG_SEND_BUFFER_FULL',
        `${largestBytes} bytes waited for this peer, the most while the server's queues passed maxBufferedBytesTotal (${this.maxBytes})`,
      );
    }
  }
}
