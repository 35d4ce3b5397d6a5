import { connect, type Socket } from 'node:net';

export interface RawResponse {
  readonly statusLine: string;
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Everything received, as latin1 text. */
  readonly raw: string;
  /** Whether the server closed the connection (rather than the timeout ending the read). */
  readonly closedByServer: boolean;
}

export interface RawRequestOptions {
  readonly method?: string;
  readonly path?: string;
  readonly httpVersion?: string;
  /** Headers to send; `null` leaves a default header out. */
  readonly headers?: Readonly<Record<string, string | null>>;
  /** Extra bytes to send after the head (e.g. frames right after the handshake). */
  readonly after?: Uint8Array;
  /** How long to read before giving up; the read also ends when the server closes. */
  readonly timeoutMs?: number;
  readonly host?: string;
  /** The client's own address (e.g. 127.0.0.2, to be another client of a server on 127.0.0.1). */
  readonly localAddress?: string;
}

/** A valid handshake's headers, for tests that change one of them. */
export function upgradeHeaders(port: number): Record<string, string> {
  return {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
  };
}

export function parseRawResponse(raw: string, closedByServer: boolean): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = headEnd === -1 ? raw : raw.slice(0, headEnd);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const bodyRaw = headEnd === -1 ? '' : raw.slice(headEnd + 4);
  return {
    statusLine,
    status,
    headers,
    body: Buffer.from(bodyRaw, 'latin1').toString('utf8'),
    raw,
    closedByServer,
  };
}

/** A request head as `rawRequest` sends it: a valid handshake's headers, changed by `options`. */
function requestHead(port: number, options: RawRequestOptions): Buffer {
  const headers: Record<string, string | null> = { ...upgradeHeaders(port), ...options.headers };
  let head = `${options.method ?? 'GET'} ${options.path ?? '/'} HTTP/${options.httpVersion ?? '1.1'}\r\n`;
  for (const [name, value] of Object.entries(headers))
    if (value !== null) head += `${name}: ${value}\r\n`;
  return Buffer.from(`${head}\r\n`, 'latin1');
}

/**
 * Sends a hand-written HTTP request over a real TCP socket and reads until the server closes
 * (or `timeoutMs`). For asserting the exact status line, headers and body of refusals.
 */
export function rawRequest(port: number, options: RawRequestOptions = {}): Promise<RawResponse> {
  return rawExchange(
    port,
    Buffer.concat([requestHead(port, options), options.after ?? Buffer.alloc(0)]),
    options,
  );
}

/** Sends arbitrary bytes and reads the answer until close or timeout. */
export async function rawExchange(
  port: number,
  bytes: Uint8Array,
  options: ExchangeOptions = {},
): Promise<RawResponse> {
  const { response } = await sendAndRead(port, (socket) => socket.write(bytes), options);
  return response;
}

export interface ExchangeOptions {
  readonly timeoutMs?: number;
  readonly host?: string;
  readonly localAddress?: string;
  readonly stopWhen?: (received: string) => boolean;
}

/**
 * Connects, lets `send` write (told whether an answer has begun to arrive), and reads until the
 * server closes, `stopWhen` holds or `timeoutMs` (3 s by default) passes. A reset after the
 * first bytes of an answer ends the read with what arrived; an error before any rejects.
 */
export function sendAndRead(
  port: number,
  send: (socket: Socket, answered: () => boolean) => void,
  options: ExchangeOptions = {},
): Promise<{ readonly response: RawResponse; readonly elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({
      port,
      host: options.host ?? '127.0.0.1',
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const response = parseRawResponse(Buffer.concat(chunks).toString('latin1'), closedByServer);
      resolve({ response, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 3_000);
    socket.on('connect', () => send(socket, () => chunks.length > 0));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (options.stopWhen?.(Buffer.concat(chunks).toString('latin1'))) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (chunks.length > 0 || error.code === 'ECONNRESET' || error.code === 'EPIPE') finish(true);
      else if (!done) {
        done = true;
        clearTimeout(timer);
        reject(error);
      }
    });
  });
}

export interface DrippedRequest {
  readonly response: RawResponse;
  /** Bytes of the request sent before the server answered or closed. */
  readonly sent: number;
  /** From the connection to the server's close (or to the read's end at `timeoutMs`). */
  readonly elapsedMs: number;
}

/**
 * Sends a request head one byte every `intervalMs` (a slowloris client), and reads until the
 * server closes or `timeoutMs`. The drip stops at the head's end, or when the server answers.
 */
export async function dripRequest(
  port: number,
  options: {
    readonly path?: string;
    readonly intervalMs: number;
    readonly timeoutMs: number;
    readonly host?: string;
  },
): Promise<DrippedRequest> {
  const head = requestHead(port, { path: options.path ?? '/' });
  let sent = 0;
  const { response, elapsedMs } = await sendAndRead(
    port,
    (socket, answered) => {
      const drip = setInterval(() => {
        if (sent >= head.length || answered() || socket.destroyed) return;
        socket.write(head.subarray(sent, sent + 1));
        sent++;
      }, options.intervalMs);
      socket.once('close', () => clearInterval(drip));
    },
    options,
  );
  return { response, sent, elapsedMs };
}
