import {
  createServer,
  request as forwardRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { Duplex } from 'node:stream';
import { isConnectionSpecificField } from '../protocol/handshake-h2.js';

// Express (4 and 5) sets its own prototypes on Node's IncomingMessage and ServerResponse, and
// fails on the HTTP/2 compatibility API's Http2ServerRequest. An app written for `node:http`
// can still answer HTTP/2 requests: each one is sent to it over an HTTP/1.1 connection that
// lives in memory, and its answer is relayed as the HTTP/2 response.

type Http1Listener = (request: IncomingMessage, response: ServerResponse) => void;

/** One end of an in-memory connection; what one end writes, the other reads (with backpressure). */
class PairEnd extends Duplex {
  other: PairEnd | undefined;
  #resumeWriter: (() => void) | undefined;

  override _read(): void {
    const resume = this.#resumeWriter;
    this.#resumeWriter = undefined;
    resume?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    const other = this.other as PairEnd;
    if (other.push(chunk)) callback();
    else other.#resumeWriter = callback;
  }

  override _final(callback: () => void): void {
    this.other?.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    if (this.other !== undefined && !this.other.destroyed) this.other.destroy();
    callback(error);
  }
}

/** The app's side of the in-memory connection, showing the HTTP/2 client's address (req.ip, req.secure). */
function appSideFor(request: Http2ServerRequest): PairEnd {
  const end = new PairEnd();
  const socket = request.socket as Partial<{
    remoteAddress: string;
    remotePort: number;
    remoteFamily: string;
    encrypted: boolean;
  }>;
  Object.assign(end, {
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    remoteFamily: socket.remoteFamily,
    encrypted: socket.encrypted === true,
  });
  return end;
}

function headersToForward(request: Http2ServerRequest): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    headers[name] = value;
  }
  // RFC 9113 §8.3.1: :authority stands for Host.
  headers.host = request.authority ?? headers.host ?? 'localhost';
  headers.connection = 'close';
  return headers;
}

/** The app's answer, less what only means something on its HTTP/1.1 connection (RFC 9113 §8.2.2). */
function headersToRelay(answer: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined || isConnectionSpecificField(name)) continue;
    headers[name] = value;
  }
  return headers;
}

function relay(
  inner: ReturnType<typeof createServer>,
  request: Http2ServerRequest,
  response: Http2ServerResponse,
): void {
  const clientSide = new PairEnd();
  const appSide = appSideFor(request);
  clientSide.other = appSide;
  appSide.other = clientSide;
  inner.emit('connection', appSide);
  const forwarded = forwardRequest({
    createConnection: () => clientSide as never,
    method: request.method,
    path: request.url,
    headers: headersToForward(request),
    setHost: false,
  });
  forwarded.on('response', (answer) => {
    response.writeHead(answer.statusCode ?? 502, headersToRelay(answer));
    answer.pipe(response);
  });
  forwarded.on('error', () => {
    if (response.headersSent) response.stream.close();
    else {
      response.statusCode = 502;
      response.end();
    }
  });
  // A client that resets its stream ends the app's connection with it.
  response.on('close', () => clientSide.destroy());
  request.pipe(forwarded);
}

/**
 * A request listener for an HTTP/2 server made with `allowHTTP1` (`http2.createSecureServer(
 * { allowHTTP1: true }, listener)`) that serves an app written for `node:http`, such as an Express
 * app: HTTP/1.1 requests reach it directly; HTTP/2 requests reach it as HTTP/1.1 requests over
 * an in-memory connection, with the client's address, and its answer goes back over HTTP/2.
 */
export function http1AppOverHttp2(
  app: Http1Listener,
): (
  request: IncomingMessage | Http2ServerRequest,
  response: ServerResponse | Http2ServerResponse,
) => void {
  const inner = createServer(app);
  return (request, response) => {
    if (request.httpVersionMajor < 2) {
      app(request as IncomingMessage, response as ServerResponse);
      return;
    }
    relay(inner, request as Http2ServerRequest, response as Http2ServerResponse);
  };
}
