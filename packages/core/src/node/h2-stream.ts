import type { ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { isConnectionSpecificField } from '../protocol/handshake-h2.js';

// What differs between the two carriers of a WebSocket: an HTTP/1.1 connection's socket, where
// answers are bytes, and an HTTP/2 stream (RFC 8441), where answers are HEADERS frames.

/** The HTTP version a WebSocket was opened over: an HTTP/1.1 upgrade, or an HTTP/2 stream. */
export type WebSocketTransport = 'http/1.1' | 'h2';

/** Whether `socket` is an HTTP/2 stream (Http2Stream has `session` and `rstCode`; sockets do not). */
export function isHttp2Stream(socket: Duplex): boolean {
  return 'rstCode' in socket && 'session' in socket;
}

/** Whether `socket` is an HTTP/2 stream of a server (an extended CONNECT) rather than a socket. */
export function isServerHttp2Stream(socket: Duplex): socket is ServerHttp2Stream {
  return (
    isHttp2Stream(socket) && typeof (socket as Partial<ServerHttp2Stream>).respond === 'function'
  );
}

export function transportOf(socket: Duplex): WebSocketTransport {
  return isHttp2Stream(socket) ? 'h2' : 'http/1.1';
}

/** The peer's address: a socket's own, or that of the TLS or TCP connection an HTTP/2 stream is on. */
export function remoteAddressOf(socket: Duplex): string | undefined {
  if (isHttp2Stream(socket))
    return (socket as unknown as { session?: { socket?: { remoteAddress?: string } } }).session
      ?.socket?.remoteAddress;
  return (socket as { remoteAddress?: string }).remoteAddress;
}

/** RST_STREAM's CANCEL (RFC 9113 §7), which RFC 8441 §5 uses as the TCP RST of a WebSocket. */
const NGHTTP2_CANCEL = 0x8;

/**
 * Ends a WebSocket's carrier at once, without a closing handshake: a socket is destroyed, an
 * HTTP/2 stream is reset with CANCEL (destroying it would send RST_STREAM with NO_ERROR, which
 * a peer cannot tell from a normal end), and its session goes on.
 */
export function abortSocket(socket: Duplex): void {
  if (isHttp2Stream(socket)) {
    const stream = socket as unknown as { closed: boolean; close(code: number): void };
    if (!stream.closed) {
      stream.close(NGHTTP2_CANCEL);
      return;
    }
  }
  socket.destroy();
}

/** How long a refused stream may take to read our answer before it is reset. */
const LINGER_MS = 2_000;

function resetStream(stream: ServerHttp2Stream): void {
  stream.destroy();
}

function ignoreError(): void {}

/**
 * Answers on an HTTP/2 stream with a status, header fields and a body, then ends it (END_STREAM);
 * a peer that keeps its side open is reset after a while. Connection-specific fields of an
 * HTTP/1.1 answer (Upgrade, Connection) are left out (RFC 9113 §8.2.2); names go in lower case.
 */
export function answerOnStream(
  stream: ServerHttp2Stream,
  status: number,
  headers: Readonly<Record<string, string | number | readonly string[]>>,
  body: string | Uint8Array,
): void {
  // Errors after the answer (a peer that resets) are expected and must not crash the process.
  stream.on('error', ignoreError);
  if (stream.destroyed || stream.closed) return;
  if (!stream.headersSent) {
    const fields: Record<string, string | number | string[]> = { ':status': status };
    for (const [name, field] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (isConnectionSpecificField(lower) || lower === 'content-length') continue;
      fields[lower] = typeof field === 'string' || typeof field === 'number' ? field : [...field];
    }
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
    fields['content-length'] = bytes.length;
    try {
      stream.respond(fields);
    } catch {
      // A field Node will not write (refusals are checked before, so a bug): the stream is reset.
      stream.destroy();
      return;
    }
    stream.end(bytes);
  } else if (!stream.writableEnded) {
    stream.end();
  }
  const timer = setTimeout(resetStream, LINGER_MS, stream);
  timer.unref();
  stream.once('close', () => clearTimeout(timer));
}
