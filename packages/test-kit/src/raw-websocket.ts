import { connect, type Socket } from 'node:net';
import { type HttpResponseHead, HttpResponseParser } from '@wsgate/core/protocol';
import { type DecodedFrame, FrameDecoder } from './wire/frame-oracle.js';
import { clientFrame, type FrameOptions } from './wire/frames.js';

/** A frame as the server sent it, read by the frame oracle rather than by core's parser. */
export type ReceivedFrame = DecodedFrame;

/**
 * A hand-driven WebSocket client over a raw TCP socket: sends any frame (valid or not), and
 * records every frame and the TCP close. For protocol tests that a real client would refuse
 * to produce.
 */
export class RawWebSocket {
  readonly frames: ReceivedFrame[] = [];
  closed = false;
  private readonly waiters: Array<() => void> = [];
  /** Set when the server sent bytes that cannot be read as frames; no frame is read after it. */
  decodeError: Error | undefined;
  private readonly decoder = new FrameDecoder();

  constructor(
    readonly socket: Socket,
    readonly response: HttpResponseHead,
    rest: Uint8Array,
  ) {
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => {});
    if (rest.length > 0) this.receive(rest);
  }

  private receive(chunk: Uint8Array): void {
    if (this.decodeError !== undefined) return;
    this.decoder.push(chunk);
    try {
      for (let frame = this.decoder.next(); frame !== undefined; frame = this.decoder.next()) {
        this.frames.push(frame);
      }
    } catch (error) {
      this.decodeError = error as Error;
    }
    this.notify();
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Sends one frame, masked like a client's unless `mask: false` (see `clientFrame`). */
  sendFrame(opcode: number, payload: Uint8Array | string = '', options: FrameOptions = {}): void {
    this.socket.write(clientFrame(opcode, payload, options));
  }

  /** Sends raw bytes as they are. */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Waits until `count` frames have arrived (or the socket closed, or the timeout). */
  async waitForFrames(count: number, timeoutMs = 3_000): Promise<ReceivedFrame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames;
  }

  /** Waits until the server closes TCP; true if it did within the timeout. */
  async waitForClose(timeoutMs = 3_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  /** The close frame received, decoded. */
  closeFrame(): { code: number | undefined; reason: string } | undefined {
    const frame = this.frames.find((f) => f.opcode === 8);
    if (frame === undefined) return undefined;
    return {
      code: frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : undefined,
      reason: frame.payload.subarray(2).toString('utf8'),
    };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Performs a handshake by hand and returns a raw WebSocket, or throws with the status line. */
export function openRawWebSocket(
  port: number,
  options: {
    path?: string;
    headers?: Record<string, string>;
    host?: string;
    /** Bytes written in the same TCP write as the request head (e.g. frames right after it). */
    after?: Uint8Array;
  } = {},
): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: options.host ?? '127.0.0.1' });
    socket.setNoDelay(true);
    const parser = new HttpResponseParser();
    const headers: Record<string, string> = {
      Host: `127.0.0.1:${port}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version': '13',
      ...options.headers,
    };
    let head = `GET ${options.path ?? '/'} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    socket.on('connect', () =>
      socket.write(
        Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), options.after ?? Buffer.alloc(0)]),
      ),
    );
    const onData = (chunk: Buffer): void => {
      const result = parser.push(chunk);
      if (result.state === 'incomplete') return;
      socket.off('data', onData);
      if (result.state === 'failed' || result.head.status !== 101) {
        socket.destroy();
        reject(
          new Error(
            result.state === 'failed'
              ? result.detail
              : `handshake answered ${result.head.status} ${result.head.statusText}`,
          ),
        );
        return;
      }
      resolve(new RawWebSocket(socket, result.head, result.rest));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}
