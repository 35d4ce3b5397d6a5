import type { WebSocketConnection } from './connection.js';

// A connection's timers and its end-of-tick flush call these module functions with the
// connection as argument: no closure per connection (memory per idle connection).

function idleTimerFired(connection: WebSocketConnection): void {
  connection.idleTimedOut();
}
function closeTimerFired(connection: WebSocketConnection): void {
  connection.abort('WSG_CLOSE_TIMEOUT');
}
function flushConnection(connection: WebSocketConnection): void {
  connection.flush();
}

/**
 * `idleTimeoutMs`: our own timer, refreshed by received bytes only (socket.setTimeout also
 * counts writes, so a connection we keep sending to would never be found idle).
 */
export function startIdleTimer(connection: WebSocketConnection, ms: number): NodeJS.Timeout {
  const timer = setTimeout(idleTimerFired, ms, connection);
  timer.unref();
  return timer;
}

/** `closeTimeoutMs`: how long the closing handshake may take before the socket is destroyed. */
export function startCloseTimer(connection: WebSocketConnection, ms: number): NodeJS.Timeout {
  const timer = setTimeout(closeTimerFired, ms, connection);
  timer.unref();
  return timer;
}

/** Writes what the connection batched during this tick once the tick ends. */
export function flushAtEndOfTick(connection: WebSocketConnection): void {
  process.nextTick(flushConnection, connection);
}
