import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HandshakeCode } from '../errors/catalogue.js';
import {
  buildRefusal,
  type HttpRefusal,
  type RefusalOptions,
  serializeRefusal,
  statusText,
} from '../errors/http-refusal.js';
import { invalidFieldReason } from '../protocol/http-field.js';
import { answerOnStream, isServerHttp2Stream } from './h2-stream.js';

/** How long a refused socket may take to read our answer before it is destroyed. */
const LINGER_MS = 2_000;

function destroySocket(socket: Duplex): void {
  socket.destroy();
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Ends a raw socket after `bytes`, and destroys it if the peer does not finish in time. */
function endWith(socket: Duplex, bytes: string | Buffer): void {
  if (socket.destroyed) return;
  // Errors after the answer (a reset peer) are expected and must not crash the process.
  socket.on('error', destroyOnError);
  if (socket.writable && !socket.writableEnded) socket.end(bytes);
  const timer = setTimeout(destroySocket, LINGER_MS, socket);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** Writes a catalogue refusal as a raw HTTP response on an upgrade socket, then closes it. */
export function writeRefusal(
  socket: Duplex,
  code: HandshakeCode,
  options: RefusalOptions = {},
): void {
  writeBuiltRefusal(socket, buildRefusal(code, options));
}

export function writeBuiltRefusal(socket: Duplex, refusal: HttpRefusal): void {
  // RFC 8441: over HTTP/2 the same status, headers and body, as a HEADERS frame and DATA.
  if (isServerHttp2Stream(socket)) {
    answerOnStream(socket, refusal.status, refusal.headers, refusal.body);
    return;
  }
  endWith(socket, serializeRefusal(refusal));
}

/**
 * Writes any HTTP response on a raw socket (e.g. the answer a framework middleware chose). A
 * header that cannot be written (RFC 9110 §5.1, §5.5), or a status that is not three digits,
 * gets 500 WSG_RESPONSE_HEADER_INVALID instead, as Node's `setHeader` would throw: a line break
 * in a value must never add a line to the answer.
 */
export function writeHttpResponse(
  socket: Duplex,
  status: number,
  headers: Readonly<Record<string, string | number | readonly string[]>>,
  body: string | Uint8Array = '',
): void {
  const fault =
    Number.isInteger(status) && status >= 100 && status <= 999
      ? invalidFieldReason(headers)
      : `the status ${String(status).slice(0, 20)} is not a three-digit number`;
  if (fault !== undefined) {
    writeRefusal(socket, 'WSG_RESPONSE_HEADER_INVALID', { detail: fault });
    return;
  }
  if (isServerHttp2Stream(socket)) {
    answerOnStream(socket, status, headers, body);
    return;
  }
  const bodyBytes =
    typeof body === 'string'
      ? Buffer.from(body)
      : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let head = `HTTP/1.1 ${status} ${statusText[status] ?? 'Unknown'}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'connection' || lower === 'transfer-encoding')
      continue;
    for (const item of Array.isArray(value) ? value : [value]) head += `${name}: ${item}\r\n`;
  }
  head += `Content-Length: ${bodyBytes.length}\r\nConnection: close\r\n\r\n`;
  endWith(socket, Buffer.concat([Buffer.from(head, 'latin1'), bodyBytes]));
}

/** Answers an ordinary HTTP request (no upgrade) with a catalogue refusal, e.g. 426. */
export function sendRefusal(
  response: ServerResponse,
  code: HandshakeCode,
  options: RefusalOptions = {},
): void {
  const refusal = buildRefusal(code, options);
  if (response.headersSent) {
    response.end();
    return;
  }
  response.statusCode = refusal.status;
  for (const [name, value] of Object.entries(refusal.headers)) response.setHeader(name, value);
  if (refusal.headers.Upgrade !== undefined) response.setHeader('Connection', 'Upgrade');
  response.end(refusal.body);
}
