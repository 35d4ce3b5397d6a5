import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect, type WebSocketConnection } from '@wsgate/core';

// Clients for a server that offers HTTP/2 and HTTP/1.1 over TLS on one port, as the h2 adapter
// suite and the demos' TLS=1 suite need: the answer to an extended CONNECT (RFC 8441) and to an
// HTTP/1.1 upgrade, compared field by field. Certificates are self-signed: not verified.

/** A refusal as the client reads it: status, X-WSGate-Error, body. */
export interface AnswerRead {
  readonly status: number;
  readonly code: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

const TIMEOUT_MS = 5_000;

function codeOf(headers: Readonly<Record<string, unknown>>): string | undefined {
  const code = headers['x-wsgate-error'];
  return typeof code === 'string' ? code : undefined;
}

/**
 * Sends one request on a new HTTP/2 session to `127.0.0.1:port` and reads its answer to the end
 * (a 200 to an extended CONNECT is read until the server ends the stream, or cut at once).
 */
export function h2Answer(port: number, headers: OutgoingHttpHeaders): Promise<AnswerRead> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no complete HTTP/2 answer within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    session.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    const send = (): void => {
      const stream = session.request(headers, { endStream: headers[':method'] !== 'CONNECT' });
      let responseHeaders: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      const done = (): void => {
        clearTimeout(timer);
        session.close();
        const status = Number(responseHeaders[':status']);
        resolve({
          status,
          code: codeOf(responseHeaders),
          headers: responseHeaders,
          body: Buffer.concat(chunks).toString(),
        });
      };
      stream.on('response', (fields) => {
        responseHeaders = fields;
        // An accepted WebSocket: nothing more to read as an answer.
        if (fields[':status'] === 200 && headers[':method'] === 'CONNECT') {
          stream.close();
          done();
        }
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', done);
      stream.on('error', () => {});
    };
    // RFC 8441 §3: an extended CONNECT waits for the server's SETTINGS.
    session.once('remoteSettings', send);
  });
}

/** The answer to an extended CONNECT for a WebSocket at `path` (RFC 8441 §4). */
export function h2ConnectAnswer(
  port: number,
  path: string,
  headers: OutgoingHttpHeaders = {},
): Promise<AnswerRead> {
  return h2Answer(port, {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':authority': `127.0.0.1:${port}`,
    ':path': path,
    'sec-websocket-version': '13',
    ...headers,
  });
}

/** The answer to an HTTP/1.1 upgrade request for a WebSocket at `path`, over TLS. */
export function h1UpgradeAnswer(
  port: number,
  path: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<AnswerRead> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest({
      host: '127.0.0.1',
      port,
      path,
      rejectUnauthorized: false,
      agent: false,
      // Node's https client offers no ALPN: the server falls back to HTTP/1.1.
      timeout: TIMEOUT_MS,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: 101, code: undefined, headers: response.headers, body: '' });
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          code: codeOf(response.headers),
          headers: response.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    request.on('timeout', () => request.destroy(new Error('no answer to the upgrade in time')));
    request.on('error', reject);
    request.end();
  });
}

/** A plain HTTP/2 GET: its status, headers and body. */
export function h2Get(port: number, path: string): Promise<AnswerRead> {
  return h2Answer(port, {
    ':method': 'GET',
    ':scheme': 'https',
    ':authority': `127.0.0.1:${port}`,
    ':path': path,
  });
}

/** Opens a WebSocket with wsgate's client, over HTTP/2 (`http2: true`) or an HTTP/1.1 upgrade. */
export function openTlsWebSocket(
  port: number,
  path: string,
  overHttp2: boolean,
): Promise<WebSocketConnection> {
  return connect(`wss://127.0.0.1:${port}${path}`, {
    http2: overHttp2,
    rejectUnauthorized: false,
  });
}

/** The next message of a wsgate connection, with its type. */
export function nextMessageOf(
  connection: WebSocketConnection,
  timeoutMs = 5_000,
): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no message within ${timeoutMs} ms`)),
      timeoutMs,
    );
    connection.once('message', (data, isBinary) => {
      clearTimeout(timer);
      resolve({ data: Buffer.isBuffer(data) ? data : Buffer.from(data), isBinary });
    });
  });
}

/** The close code and reason of a wsgate connection. */
export function closeOf(
  connection: WebSocketConnection,
  timeoutMs = 5_000,
): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no close within ${timeoutMs} ms`)), timeoutMs);
    connection.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason });
    });
  });
}
