import { EventEmitter } from 'node:events';
import { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { Duplex } from 'node:stream';

// A framework (Express, Koa, Nest's guards) routes Node's IncomingMessage and answers through a
// ServerResponse. An extended CONNECT (RFC 8441) arrives as an HTTP/2 stream instead; these
// give the framework the request it knows, and carry its answer back as an HTTP/2 response.

/**
 * The connection a framework reads through `req.socket` (`req.ip`, `req.secure`): the peer of
 * the HTTP/2 session. Nothing is read from it: the request's body is empty and already ended.
 */
class SessionPeer extends EventEmitter {
  readonly readable = false;
  readonly writable = false;
  readonly destroyed = false;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly encrypted: boolean;

  constructor(stream: ServerHttp2Stream) {
    super();
    const socket = (stream.session?.socket ?? {}) as Partial<{
      remoteAddress: string;
      remotePort: number;
      remoteFamily: string;
      localAddress: string;
      localPort: number;
      encrypted: boolean;
    }>;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.remoteFamily = socket.remoteFamily;
    this.localAddress = socket.localAddress;
    this.localPort = socket.localPort;
    this.encrypted = socket.encrypted === true;
  }

  setTimeout(): this {
    return this;
  }

  destroy(): this {
    return this;
  }
}

/**
 * The extended CONNECT as the HTTP/1.1 upgrade request it stands for (RFC 8441 §5), which is
 * what frameworks route to their WebSocket routes: method GET, the target from `:path`, `Host`
 * from `:authority`, `Upgrade: websocket` and `Connection: Upgrade`, the other fields as sent;
 * `httpVersion` says '2.0'. The handshake itself is validated from the stream's own fields.
 */
export function frameworkRequestFor(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
): IncomingMessage {
  const request = new IncomingMessage(new SessionPeer(stream) as never);
  const fields: Record<string, string | string[]> = {};
  const authority = headers[':authority'];
  if (typeof authority === 'string') fields.host = authority;
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    fields[name] = value;
  }
  fields.upgrade = 'websocket';
  fields.connection = 'Upgrade';
  const raw: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    for (const one of Array.isArray(value) ? value : [value]) raw.push(name, one);
  }
  request.method = 'GET';
  request.url = String(headers[':path'] ?? '/');
  request.httpVersion = '2.0';
  request.httpVersionMajor = 2;
  request.httpVersionMinor = 0;
  request.headers = fields as IncomingHttpHeaders;
  request.rawHeaders = raw;
  // Node marks an HTTP/1.1 upgrade request so (IncomingMessage#upgrade, untyped).
  (request as { upgrade?: boolean }).upgrade = true;
  request.complete = true;
  request.push(null);
  return request;
}

/** A framework's answer as read back from the HTTP/1.1 bytes its ServerResponse wrote. */
export interface CapturedAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

/** The body of a chunked message (RFC 9112 §7.1), for a framework that asked for chunks itself. */
function unchunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const lineEnd = bytes.indexOf('\r\n', offset, 'latin1');
    if (lineEnd === -1) break;
    const size = Number.parseInt(bytes.toString('latin1', offset, lineEnd).split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size <= 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Reads the head and body of an HTTP/1.1 response that Node's ServerResponse serialized. */
export function parseCapturedAnswer(bytes: Buffer): CapturedAnswer {
  const headEnd = bytes.indexOf('\r\n\r\n', 0, 'latin1');
  const head = bytes.toString('latin1', 0, headEnd === -1 ? bytes.length : headEnd);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers: Record<string, string | string[]> = {};
  let chunked = false;
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else headers[name] = [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  const rest = headEnd === -1 ? Buffer.alloc(0) : bytes.subarray(headEnd + 4);
  return { status, headers, body: chunked ? unchunk(rest) : rest };
}

/**
 * Where a framework's ServerResponse writes when its request is an extended CONNECT: it collects
 * the HTTP/1.1 bytes, and once they end calls `answered` with the answer they hold.
 */
export class AnswerCapture extends Duplex {
  readonly #chunks: Buffer[] = [];
  readonly remoteAddress: string | undefined;

  constructor(stream: ServerHttp2Stream, answered: (answer: CapturedAnswer) => void) {
    super({
      read: () => {},
      write: (chunk: Buffer, _encoding, callback) => {
        this.#chunks.push(chunk);
        callback();
      },
      final: (callback) => {
        answered(parseCapturedAnswer(Buffer.concat(this.#chunks)));
        callback();
      },
    });
    this.remoteAddress = new SessionPeer(stream).remoteAddress;
  }

  setTimeout(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }
}
