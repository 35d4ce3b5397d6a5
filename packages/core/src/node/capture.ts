import type { EventEmitter } from 'node:events';
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import type { Duplex } from 'node:stream';
import {
  encodeEnhancedPacketBlock,
  encodeInterfaceDescriptionBlock,
  encodeSectionHeaderBlock,
  enhancedPacketBlockLength,
  type FlowSide,
  TcpFlow,
} from '../capture/pcapng.js';
import type { HandshakeRequest } from './handshake-request.js';

export interface CaptureOptions {
  /** The pcapng file to write; an existing file is replaced. */
  readonly file: string;
  /** Bound on the file's size (16 MiB by default). Past it nothing more is written; the last packet carries a note. */
  readonly maxBytes?: number | undefined;
  /** Called once when `maxBytes` stops the capture, with the note written into the file. */
  readonly onLimit?: ((note: string) => void) | undefined;
  /** Called when the file cannot be written; the capture stops, the traffic is not affected. */
  readonly onError?: ((error: Error) => void) | undefined;
}

/** A server's or client's `capture` option: a file to write, or a capture shared with others. */
export type CaptureSetting = CaptureOptions | Capture;

export const DEFAULT_CAPTURE_MAX_BYTES = 16 * 1024 * 1024;
/** The smallest bound accepted: room for the file header, a handshake and the note. */
export const MIN_CAPTURE_MAX_BYTES = 4096;
/** Kept free until the limit, so that the note always fits within maxBytes. */
const NOTE_RESERVE_BYTES = 512;

type TappedSocket = Duplex & {
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly errored?: (Error & { code?: string }) | null;
};

function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

function toBytes(chunk: unknown, encoding: unknown): Uint8Array | undefined {
  if (typeof chunk === 'string') {
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  }
  return chunk instanceof Uint8Array ? chunk : undefined;
}

/**
 * Writes the WebSocket traffic of the sockets it tracks, handshake included, as a pcapng file
 * that Wireshark and tshark dissect: each connection becomes a synthetic Ethernet/IP/TCP flow
 * with the sockets' real addresses and ports. TLS sockets are recorded in clear text (what the
 * application reads and writes), so a wss:// capture reads like a ws:// one.
 */
export class Capture {
  readonly file: string;
  readonly maxBytes: number;
  readonly #stream: WriteStream;
  readonly #options: CaptureOptions;
  readonly #taps = new WeakSet<Duplex>();
  #written = 0;
  #connectionCount = 0;
  #noteValue: string | undefined;
  #stopped = false;
  #closing: Promise<void> | undefined;

  constructor(options: CaptureOptions) {
    const maxBytes = options.maxBytes ?? DEFAULT_CAPTURE_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < MIN_CAPTURE_MAX_BYTES) {
      throw new RangeError(
        `capture maxBytes must be a whole number of at least ${MIN_CAPTURE_MAX_BYTES}, got ${maxBytes}`,
      );
    }
    this.file = options.file;
    this.maxBytes = maxBytes;
    this.#options = options;
    // Opened synchronously, so that a path that cannot be written fails here, with its reason.
    const fd = openSync(options.file, 'w');
    try {
      this.#stream = createWriteStream(options.file, { fd });
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.#stream.on('error', (error) => {
      this.#stopped = true;
      this.#options.onError?.(error);
    });
    this.#write(encodeSectionHeaderBlock({ application: 'wsgate' }));
    this.#write(encodeInterfaceDescriptionBlock({ name: 'wsgate' }));
  }

  /** Bytes written to the file so far. */
  get bytesWritten(): number {
    return this.#written;
  }

  /** Whether `maxBytes` stopped the capture. */
  get truncated(): boolean {
    return this.#noteValue !== undefined;
  }

  /** The note written when `maxBytes` stopped the capture. */
  get note(): string | undefined {
    return this.#noteValue;
  }

  /** Connections tracked so far. */
  get connections(): number {
    return this.#connectionCount;
  }

  /**
   * Records a socket's traffic from now on: bytes read, bytes written, and its closing.
   * `role` says which end of the TCP connection this process is. Tracking twice is harmless.
   */
  track(socket: Duplex, role: FlowSide): void {
    if (this.#taps.has(socket)) return;
    this.#taps.add(socket);
    this.#connectionCount++;
    new SocketTap(this, socket as TappedSocket, role);
  }

  /**
   * Tracks the socket of an upgrade that Node's http server already parsed: the request head is
   * rebuilt from the parsed request (noted in the file), then `head` and the rest are recorded.
   * @internal
   */
  trackUpgrade(request: HandshakeRequest, socket: Duplex, head?: Uint8Array): void {
    if (this.#taps.has(socket)) return;
    this.#taps.add(socket);
    this.#connectionCount++;
    const tap = new SocketTap(this, socket as TappedSocket, 'server');
    tap.inbound(
      Buffer.from(requestHead(request), 'latin1'),
      'request head rebuilt by wsgate from the request Node parsed',
    );
    if (head !== undefined && head.length > 0) tap.inbound(head);
  }

  /** @internal Records frames of one flow, all with the current time. */
  record(frames: readonly Uint8Array[], comment?: string): void {
    if (this.#stopped || frames.length === 0) return;
    const timestamp = nowMicros();
    let pending = comment;
    for (const frame of frames) {
      const size = enhancedPacketBlockLength(frame.length, pending);
      if (this.#written + size <= this.maxBytes - NOTE_RESERVE_BYTES) {
        this.#write(
          encodeEnhancedPacketBlock(
            timestamp,
            frame,
            pending === undefined ? {} : { comment: pending },
          ),
        );
        pending = undefined;
        continue;
      }
      // The packet that does not fit is kept truncated, with the note; nothing follows it.
      const note = `wsgate stopped this capture here: the file reached maxBytes (${this.maxBytes} bytes); later packets are not recorded`;
      const room = this.maxBytes - this.#written - enhancedPacketBlockLength(0, note);
      const captured = frame.subarray(0, Math.max(0, Math.min(frame.length, room - 3)));
      this.#write(
        encodeEnhancedPacketBlock(timestamp, captured, {
          originalLength: frame.length,
          comment: note,
        }),
      );
      this.#stopped = true;
      this.#noteValue = note;
      this.#options.onLimit?.(note);
      return;
    }
  }

  /** Stops recording and resolves once everything is on disk. */
  close(): Promise<void> {
    this.#stopped = true;
    this.#closing ??= new Promise<void>((resolve) => {
      if (this.#stream.destroyed) {
        resolve();
        return;
      }
      this.#stream.end(() => resolve());
      this.#stream.once('error', () => resolve());
    });
    return this.#closing;
  }

  #write(bytes: Uint8Array): void {
    this.#written += bytes.length;
    this.#stream.write(bytes);
  }
}

/** Opens a capture file (see `Capture`). Throws at once if the file cannot be created. */
export function createCapture(file: string, options: Omit<CaptureOptions, 'file'> = {}): Capture {
  return new Capture({ ...options, file });
}

const ownedCaptures = new WeakMap<object, Capture | null>();

/**
 * The capture for a `capture` option: the given `Capture`, or one created on first use from
 * `{ file }` and closed when `owner` (a server or a socket) emits 'close'. A file that cannot be
 * created disables the capture with a process warning rather than failing the connection.
 */
export function captureFor(owner: EventEmitter, setting: CaptureSetting): Capture | undefined {
  if (setting instanceof Capture) return setting;
  let capture = ownedCaptures.get(owner);
  if (capture === undefined) {
    try {
      const created = new Capture(setting);
      // After the close listeners of the tracked sockets, which record the closing segments.
      owner.once('close', () => setImmediate(() => void created.close()));
      capture = created;
    } catch (error) {
      process.emitWarning(
        `wsgate: capture to ${setting.file} disabled: ${error instanceof Error ? error.message : String(error)}`,
      );
      capture = null;
    }
    ownedCaptures.set(owner, capture);
  }
  return capture ?? undefined;
}

/** The request line and headers of an upgrade request, as HTTP/1.1 bytes (latin1). */
function requestHead(request: HandshakeRequest): string {
  let text = `${request.method} ${request.url} HTTP/${request.httpVersion}\r\n`;
  const raw = request.incoming?.rawHeaders;
  if (raw !== undefined) {
    for (let i = 0; i + 1 < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  } else {
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) text += `${name}: ${item}\r\n`;
    }
  }
  return `${text}\r\n`;
}

/** One tracked socket: its bytes both ways and its closing, as a TCP flow. */
class SocketTap {
  private flow: TcpFlow | undefined;
  private unusable = false;
  private readonly peer: FlowSide;

  constructor(
    private readonly capture: Capture,
    private readonly socket: TappedSocket,
    private readonly role: FlowSide,
  ) {
    this.peer = role === 'client' ? 'server' : 'client';
    this.hookWrites();
    // First in line: the frame parser unmasks payloads in place, after this has copied them.
    socket.prependListener('data', (chunk: Buffer) => this.inbound(chunk));
    socket.prependListener('end', () => this.record((flow) => flow.finish(this.peer)));
    socket.prependListener('finish', () => this.record((flow) => flow.finish(this.role)));
    socket.once('close', () => this.closed());
    if (socket.remotePort !== undefined) this.ensureFlow();
    else socket.prependOnceListener('connect', () => this.ensureFlow());
  }

  inbound(bytes: Uint8Array, comment?: string): void {
    this.record((flow) => flow.send(this.peer, bytes), comment);
  }

  private outbound(bytes: Uint8Array): void {
    this.record((flow) => flow.send(this.role, bytes));
  }

  private record(make: (flow: TcpFlow) => Uint8Array[], comment?: string): void {
    const flow = this.ensureFlow();
    if (flow !== undefined) this.capture.record(make(flow), comment);
  }

  /** The flow starts once both addresses are known (a client's local port comes with 'connect'). */
  private ensureFlow(): TcpFlow | undefined {
    if (this.flow !== undefined || this.unusable) return this.flow;
    const { localAddress, localPort, remoteAddress, remotePort } = this.socket;
    if (
      localAddress === undefined ||
      localPort === undefined ||
      remoteAddress === undefined ||
      remotePort === undefined
    ) {
      return undefined;
    }
    const local = { address: localAddress, port: localPort };
    const remote = { address: remoteAddress, port: remotePort };
    const flow =
      this.role === 'client' ? TcpFlow.create(local, remote) : TcpFlow.create(remote, local);
    if (flow === undefined) {
      this.unusable = true;
      return undefined;
    }
    this.flow = flow;
    this.capture.record(flow.open());
    return flow;
  }

  /** Sees every byte written, including `end(bytes)`, which bypasses the public `write`. */
  private hookWrites(): void {
    const socket = this.socket;
    const write = socket.write;
    const end = socket.end;
    let ending = false;
    const tap = this;
    socket.write = function (this: Duplex, chunk: unknown, ...rest: unknown[]): boolean {
      if (!ending && !socket.destroyed && !socket.writableEnded) {
        const bytes = toBytes(chunk, rest[0]);
        if (bytes !== undefined) tap.outbound(bytes);
      }
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Duplex['write'];
    socket.end = function (this: Duplex, ...args: unknown[]): Duplex {
      const [chunk, encoding] = args;
      if (typeof chunk !== 'function' && !socket.destroyed && !socket.writableEnded) {
        const bytes = toBytes(chunk, encoding);
        if (bytes !== undefined) tap.outbound(bytes);
      }
      ending = true;
      try {
        return (end as (...args: unknown[]) => Duplex).apply(this, args);
      } finally {
        ending = false;
      }
    } as Duplex['end'];
  }

  private closed(): void {
    const flow = this.flow;
    if (flow === undefined || flow.ended) return;
    const code = this.socket.errored?.code;
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      this.capture.record(flow.reset(this.peer));
      return;
    }
    // A socket destroyed without end() still closes with a FIN from each side.
    this.capture.record([...flow.finish(this.role), ...flow.finish(this.peer)]);
  }
}
