import type { WebSocketConnection } from './connection.js';

function heartbeatTick(clients: ReadonlySet<WebSocketConnection>): void {
  for (const client of clients) client.heartbeat();
}

/**
 * One timer for all of a server's connections (not one per connection: memory per idle
 * connection), running only while any is open: each tick pings every connection and ends those
 * that sent nothing since the previous tick.
 */
export class Heartbeat {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clients: ReadonlySet<WebSocketConnection>,
    private readonly intervalMs: number,
  ) {}

  /** Called for each new connection: starts the timer if it is not running. */
  start(): void {
    if (this.#timer !== undefined || this.intervalMs <= 0) return;
    this.#timer = setInterval(heartbeatTick, this.intervalMs, this.clients);
    this.#timer.unref();
  }

  /** Called for each closed connection: stops the timer once none is left. */
  stopWhenIdle(): void {
    if (this.clients.size === 0) this.stop();
  }

  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
