import http2, {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type Http2SecureServer,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate } from '@wsgate/test-kit';
import { clientFrame, type DecodedFrame, FrameDecoder } from '@wsgate/test-kit/wire';
import { type ServerOptions, WebSocketServer } from '../../src/index.js';

let certificate: { cert: string; key: string } | undefined;

/** One certificate per test file: openssl takes a moment. */
export function testCertificate(): { cert: string; key: string } {
  certificate ??= selfSignedCertificate();
  return certificate;
}

export interface H2Setup {
  readonly http2: Http2SecureServer;
  readonly wss: WebSocketServer;
  readonly port: number;
  readonly close: () => Promise<void>;
}

/** An HTTP/2 TLS server (HTTP/1.1 allowed) on 127.0.0.1, port 0, with a WebSocketServer attached. */
export async function startH2(options: ServerOptions = {}, attach = true): Promise<H2Setup> {
  const { cert, key } = testCertificate();
  const server = http2.createSecureServer({ cert, key, allowHTTP1: true });
  const wss = new WebSocketServer(options);
  if (attach) wss.attach(server);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    http2: server,
    wss,
    port,
    close: async () => {
      await wss.close({ timeoutMs: 1_000 });
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
}

/** A client session whose remote settings have arrived. */
export async function openSession(port: number, scheme = 'https'): Promise<ClientHttp2Session> {
  const session = http2.connect(`${scheme}://127.0.0.1:${port}`, {
    ca: testCertificate().cert,
  });
  session.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  return session;
}

export function extendedConnect(
  session: ClientHttp2Session,
  path: string,
  headers: OutgoingHttpHeaders = {},
  scheme = 'https',
): ClientHttp2Stream {
  return session.request(
    {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': scheme,
      ':path': path,
      ':authority': `127.0.0.1`,
      'sec-websocket-version': '13',
      ...headers,
    },
    { endStream: false },
  );
}

export function responseOf(stream: ClientHttp2Stream): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    stream.once('response', resolve);
    stream.once('error', reject);
    stream.once('close', () => reject(new Error(`stream closed, rstCode ${stream.rstCode}`)));
  });
}

/** The body of a refused stream. */
export function bodyOf(stream: ClientHttp2Stream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
  });
}

/** A WebSocket client on one HTTP/2 stream, reading frames with the test-kit oracle. */
export class StreamSocket {
  readonly #decoder = new FrameDecoder();
  readonly #frames: DecodedFrame[] = [];
  #waiting: (() => void) | undefined;
  ended = false;

  constructor(readonly stream: ClientHttp2Stream) {
    stream.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk);
      for (let frame = this.#decoder.next(); frame; frame = this.#decoder.next())
        this.#frames.push(frame);
      this.#wake();
    });
    stream.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    stream.on('close', () => this.#wake());
    stream.on('error', () => this.#wake());
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }

  send(opcode: number, payload: Uint8Array | string = '', fin = true): boolean {
    return this.stream.write(clientFrame(opcode, payload, { mask: true, fin }));
  }

  async nextFrame(): Promise<DecodedFrame> {
    for (;;) {
      const frame = this.#frames.shift();
      if (frame !== undefined) return frame;
      if (this.ended || this.stream.closed) throw new Error('the stream ended without a frame');
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
      });
    }
  }

  /** The next data message, fragments joined. */
  async nextMessage(): Promise<{ opcode: number; payload: Buffer; frames: DecodedFrame[] }> {
    const frames: DecodedFrame[] = [];
    for (;;) {
      const frame = await this.nextFrame();
      if (frame.opcode >= 8) continue;
      frames.push(frame);
      if (frame.fin) break;
    }
    return {
      opcode: (frames[0] as DecodedFrame).opcode,
      payload: Buffer.concat(frames.map((frame) => frame.payload)),
      frames,
    };
  }

  /** Resolves when the stream is closed on both sides. */
  closed(): Promise<void> {
    if (this.stream.closed) return Promise.resolve();
    return new Promise((resolve) => this.stream.once('close', () => resolve()));
  }
}

/** Opens a WebSocket over an HTTP/2 stream and waits for the 200. */
export async function openStreamSocket(
  session: ClientHttp2Session,
  path: string,
  headers: OutgoingHttpHeaders = {},
): Promise<{ socket: StreamSocket; response: IncomingHttpHeaders }> {
  const stream = extendedConnect(session, path, headers);
  const socket = new StreamSocket(stream);
  const response = await responseOf(stream);
  return { socket, response };
}
