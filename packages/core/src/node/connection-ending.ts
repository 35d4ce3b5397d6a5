import type { ClosingCode } from '../errors/catalogue.js';
import { WsgateError } from '../errors/wsgate-error.js';
import { SessionState, type WebSocketSession } from '../protocol/session.js';
import { type CloseOutcome, closeOutcome } from './close-outcome.js';
import type { WebSocketConnection } from './connection.js';
import { logEnding } from './connection-events.js';
import { type ConnectionSettings, ReadyState } from './connection-options.js';
import { startCloseTimer } from './connection-timers.js';
import { abortSocket } from './h2-stream.js';
import type { OwnedSocket } from './socket-binding.js';

/**
 * How a connection ends: the timer that bounds the closing handshake, why it ended (a failure of
 * ours, the socket's error) and what its 'close' event reports. The connection creates it when it
 * starts to end, so that an open connection carries none of it (memory per idle connection).
 */
export class ConnectionEnding {
  readonly #connection: WebSocketConnection;
  readonly #socket: OwnedSocket;
  readonly #session: WebSocketSession;
  readonly #settings: ConnectionSettings;
  #closeTimer: NodeJS.Timeout | undefined;
  #failure: WsgateError | undefined;
  #socketError: Error | undefined;

  constructor(
    connection: WebSocketConnection,
    socket: OwnedSocket,
    session: WebSocketSession,
    settings: ConnectionSettings,
  ) {
    this.#connection = connection;
    this.#socket = socket;
    this.#session = session;
    this.#settings = settings;
  }

  /** abort(): ended without a handshake; a failure recorded earlier stays the reason. */
  aborted(code: ClosingCode, detail: string | undefined): void {
    this.#failure ??= new WsgateError(code, detail === undefined ? {} : { detail });
    logEnding(this.#connection, this.#settings.log, code, detail);
    abortSocket(this.#socket);
  }

  /** The session failed the connection; its close frame is out. */
  failed(code: ClosingCode, detail: string): void {
    this.#failure = new WsgateError(code, { detail });
    logEnding(this.#connection, this.#settings.log, code, detail);
    this.endSocket();
    this.armCloseTimer();
  }

  /** Nothing arrived for idleTimeoutMs: the reason the 'close' event gives. */
  idle(): void {
    this.#failure = new WsgateError('WSG_IDLE_TIMEOUT');
    logEnding(this.#connection, this.#settings.log, 'WSG_IDLE_TIMEOUT', undefined);
  }

  socketFailed(error: Error): void {
    this.#socketError ??= error;
  }

  /**
   * Ends our side of TCP once the session is closed, after what waits to be written; frames
   * held behind a compression still running end it when they go (see onCodecSettled).
   */
  endSocket(): void {
    const socket = this.#socket;
    if (this.#session.state !== SessionState.closed || this.#session.sendQueue?.waiting === true)
      return;
    this.#connection.flush();
    if (!socket.writableEnded) socket.end();
  }

  armCloseTimer(): void {
    if (this.#closeTimer !== undefined || this.#connection.readyState === ReadyState.closed) return;
    this.#closeTimer = startCloseTimer(this.#connection, this.#settings.closeTimeoutMs);
  }

  /** The socket closed: the timer stops; what the 'close' event reports. */
  closed(): CloseOutcome {
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    return closeOutcome(this.#failure, this.#session, this.#socketError);
  }
}
