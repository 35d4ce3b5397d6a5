import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Whether nothing was written to `socket` yet: no other upgrade listener answered it. */
export function untouched(socket: Duplex): boolean {
  // A Duplex that is not a net.Socket (a TLS wrapper of one's own, a test stream) has no
  // bytesWritten: its untouched state must still count as untouched, or it never gets its 404.
  return (
    !socket.destroyed &&
    !socket.writableEnded &&
    ((socket as Partial<Socket>).bytesWritten ?? 0) === 0 &&
    socket.writableLength === 0
  );
}

/**
 * Calls `refuse` (the 404) for an upgrade that no listener of `http` takes: at once when this
 * server's listener is the only one, else after `graceMs` if the socket is still untouched.
 */
export function refuseWhenUnhandled(
  http: HttpServer,
  socket: Duplex,
  graceMs: number,
  refuse: () => void,
): void {
  if (http.listenerCount('upgrade') <= 1) {
    refuse();
    return;
  }
  const timer = setTimeout(() => {
    if (untouched(socket)) refuse();
  }, graceMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
