import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server as TlsServer } from 'node:tls';
import { type LogEvent, logEventFor } from '../errors/log-event.js';
import { statusOf } from '../errors/status-index.js';
import { handshakeRefused } from '../observability/hooks.js';
import { answerClientError } from './client-error.js';
import { writeRefusal } from './refusal.js';

/**
 * An http server reads a request head itself, before any 'upgrade' listener sees it, and bounds
 * that only by `headersTimeout` (60 s by default, checked every 30 s): a slowloris client that
 * sends one byte a second keeps its socket for up to 90 s. A server wsgate is attached to gets
 * the bound of a standalone wsgate server instead: a new connection whose first request head is
 * not complete within the handshake timeout is answered 408 WSG_HANDSHAKE_TIMEOUT and closed.
 *
 * Connections waiting for their first head are also bounded in number (`maxPending`): past it,
 * the oldest is answered 408 and closed, so that sockets that never send a byte cannot take
 * every file descriptor of the process from established connections and honest handshakes
 * (whose heads follow their connection at once, so they are never the oldest for long).
 *
 * Only the first head of a connection is timed (what the attack holds sockets with); later
 * requests on a kept-alive connection stay under Node's own `headersTimeout`. On an https server
 * the time starts once TLS is set up (the TLS handshake has its own `handshakeTimeout`).
 */
interface Deadlines {
  /** The timeout of every attachment still guarding the server; the shortest applies. */
  readonly timeouts: number[];
  /** The pending-head bound of every attachment (0: none); the smallest applies. */
  readonly caps: number[];
  /** The connections whose first head has not arrived yet, oldest first, with their timers. */
  readonly pending: Map<Socket, NodeJS.Timeout>;
  readonly detach: () => void;
}

const guarded = new WeakMap<HttpServer | HttpsServer, Deadlines>();
/** The guard waiting for each connection's first head. */
const pendingHeads = new WeakMap<Duplex, Deadlines>();

/**
 * The first request head of `socket` arrived: its deadline stops. Called by wsgate's upgrade
 * listeners (a listener of its own would count as another upgrade listener, see
 * `refuseUnhandled`) and, for plain requests, by the guard's 'request' listener.
 */
export function requestHeadArrived(socket: Duplex): void {
  const deadlines = pendingHeads.get(socket);
  if (deadlines === undefined) return;
  pendingHeads.delete(socket);
  clearTimeout(deadlines.pending.get(socket as Socket));
  deadlines.pending.delete(socket as Socket);
}

/**
 * Times the first request head of each new connection of `http` (see above). Attachments share
 * one guard per server; the returned function removes this one's.
 */
export function limitRequestHeads(
  http: HttpServer | HttpsServer,
  timeoutMs: number,
  onLog?: (event: LogEvent) => void,
  maxPending = 0,
): () => void {
  const deadlines = guarded.get(http) ?? startGuard(http, onLog);
  deadlines.timeouts.push(timeoutMs);
  deadlines.caps.push(maxPending > 0 ? maxPending : Number.POSITIVE_INFINITY);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    deadlines.timeouts.splice(deadlines.timeouts.indexOf(timeoutMs), 1);
    deadlines.caps.splice(
      deadlines.caps.indexOf(maxPending > 0 ? maxPending : Number.POSITIVE_INFINITY),
      1,
    );
    if (deadlines.timeouts.length > 0) return;
    deadlines.detach();
    guarded.delete(http);
  };
}

function expire(socket: Socket, timeoutMs: number, onLog?: (event: LogEvent) => void): void {
  refuseLateHead(socket, `no complete request head within ${timeoutMs} ms`, onLog);
}

function refuseLateHead(socket: Socket, detail: string, onLog?: (event: LogEvent) => void): void {
  pendingHeads.get(socket)?.pending.delete(socket);
  pendingHeads.delete(socket);
  // Answered by someone else in the meantime (a listener for 'checkContinue' or 'connect',
  // which the guard cannot watch without changing how Node answers those).
  if (socket.destroyed || socket.bytesWritten > 0) return;
  onLog?.(logEventFor('WSG_HANDSHAKE_TIMEOUT', { detail, remoteAddress: socket.remoteAddress }));
  handshakeRefused(undefined, 'WSG_HANDSHAKE_TIMEOUT', statusOf('WSG_HANDSHAKE_TIMEOUT'), detail);
  writeRefusal(socket, 'WSG_HANDSHAKE_TIMEOUT', { detail });
}

/** Why the oldest pending handshake was dropped. */
export function pendingCapDetail(cap: number): string {
  return `more than ${cap} connections were waiting for their request heads: the oldest was dropped`;
}

function forgetSocket(this: Socket): void {
  requestHeadArrived(this);
}

function startGuard(
  http: HttpServer | HttpsServer,
  onLog: ((event: LogEvent) => void) | undefined,
): Deadlines {
  const onConnection = (socket: Socket): void => {
    const timeoutMs = Math.min(...deadlines.timeouts);
    const timer = setTimeout(expire, timeoutMs, socket, timeoutMs, onLog);
    timer.unref();
    pendingHeads.set(socket, deadlines);
    deadlines.pending.set(socket, timer);
    socket.once('close', forgetSocket);
    const cap = Math.min(...deadlines.caps);
    for (const oldest of deadlines.pending.keys()) {
      if (deadlines.pending.size <= cap) break;
      clearTimeout(deadlines.pending.get(oldest));
      refuseLateHead(oldest, pendingCapDetail(cap), onLog);
    }
  };
  const onRequest = (request: IncomingMessage): void => requestHeadArrived(request.socket);
  // An application's own 'clientError' listener decides; else the catalogue answers, without
  // the reset Node's default answer causes (see answerClientError).
  const onClientError = (error: Error & { code?: string }, socket: Duplex): void => {
    if (http.listenerCount('clientError') === 1) answerClientError(error, socket, onLog);
  };
  const connectionEvent = http instanceof TlsServer ? 'secureConnection' : 'connection';
  http.on(connectionEvent, onConnection);
  http.prependListener('request', onRequest);
  http.on('clientError', onClientError);
  const deadlines: Deadlines = {
    timeouts: [],
    caps: [],
    pending: new Map(),
    detach: () => {
      http.off(connectionEvent, onConnection);
      http.off('request', onRequest);
      http.off('clientError', onClientError);
    },
  };
  guarded.set(http, deadlines);
  return deadlines;
}
