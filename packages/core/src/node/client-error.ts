import type { Duplex } from 'node:stream';
import type { HandshakeCode } from '../errors/catalogue.js';
import { type LogEvent, logEventFor } from '../errors/log-event.js';
import { statusOf } from '../errors/status-index.js';
import { handshakeRefused } from '../observability/hooks.js';
import { writeRefusal } from './refusal.js';

/** The catalogue code for an error of Node's HTTP parser (see Node's `'clientError'` event). */
function codeOf(error: Error & { code?: string }): HandshakeCode {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'WSG_HEADERS_TOO_LARGE';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'WSG_HANDSHAKE_TIMEOUT';
  return 'WSG_REQUEST_MALFORMED';
}

/**
 * Answers a request head Node's HTTP parser refused (too large, malformed), as Node would but
 * with the catalogue's status, code and body, and without a reset: Node's own answer destroys
 * the socket at once, and a client still sending its oversized head then gets a TCP reset that
 * can discard the 431 before it reads it. Here the socket is ended and left to linger (see
 * writeRefusal) so that the answer arrives.
 */
export function answerClientError(
  error: Error & { code?: string },
  socket: Duplex,
  onLog: ((event: LogEvent) => void) | undefined,
): void {
  const written = (socket as { bytesWritten?: number }).bytesWritten ?? 0;
  if (error.code === 'ECONNRESET' || socket.destroyed || socket.writableEnded || written > 0) {
    if (!socket.writableEnded) socket.destroy();
    return;
  }
  const code = codeOf(error);
  const detail = `the HTTP parser refused the request: ${error.code ?? error.message}`;
  const remoteAddress = (socket as { remoteAddress?: string }).remoteAddress;
  onLog?.(logEventFor(code, { detail, remoteAddress }));
  handshakeRefused(undefined, code, statusOf(code), detail);
  writeRefusal(socket, code, { detail });
}
