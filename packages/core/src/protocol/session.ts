import type { ClosingCode } from '../errors/catalogue.js';
import { closeCodeFor, closeReasonFor } from '../errors/close-reason.js';
import { CloseCode, encodeClosePayload, parseClosePayload } from './close.js';
import { type FrameHeader, FrameParser } from './frame-parser.js';
import { type Allocate, allocateZeroed, transmitFrame } from './frame-serializer.js';
import { applyMaskKey, copyUnmasked } from './mask.js';
import { compressedLimit, joinParts, ownsItsBuffer, type Parts } from './message-bytes.js';
import type { SessionCompression } from './message-codec.js';
import { MAX_CONTROL_PAYLOAD_BYTES, Opcode } from './opcodes.js';
import { Utf8Validator } from './utf8.js';

export interface SessionOptions {
  readonly side: 'server' | 'client';
  /** Largest message accepted, checked from frame headers before buffering (close 1009). */
  readonly maxMessageBytes?: number | undefined;
  /** Answer pings with pongs automatically (RFC 6455 §5.5.2). */
  readonly autoPong?: boolean | undefined;
  /** How buffers are allocated; the Node layer passes Buffer.allocUnsafe. */
  readonly allocate?: Allocate | undefined;
  /**
   * How the buffers of received messages are allocated: each must be an ArrayBuffer of its own,
   * never a slice of a shared pool, because an application may send or keep `message.buffer`.
   * The Node layer passes Buffer.allocUnsafeSlow; zero-filled ones by default.
   */
  readonly allocateMessage?: Allocate | undefined;
  /** permessage-deflate, when negotiated. */
  readonly compression?: SessionCompression | undefined;
}

export interface SessionHandler {
  onMessage(data: Uint8Array, isText: boolean): void;
  onPing(payload: Uint8Array): void;
  onPong(payload: Uint8Array): void;
  /** Bytes to write to the transport, in order. */
  onTransmit(bytes: Uint8Array): void;
  /** The peer's close frame arrived; `code` is 1005 when it had none. */
  onCloseFrame(code: number, reason: string): void;
  /** The peer broke the protocol or a limit; a close frame with the error's code was sent. */
  onFailure(code: ClosingCode, detail: string): void;
}

export const SessionState = { open: 1, closing: 2, closed: 3 } as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const EMPTY = new Uint8Array(0);

/** How far ahead of the received bytes a frame's declared length may make us allocate. */
const PREALLOCATE_AHEAD_BYTES = 256 * 1024;

/**
 * Pieces of a message kept as views until it ends (a 1 MiB message read in 64 KiB chunks is
 * 17); a message in more pieces is copied into one buffer from there on.
 */
const MAX_VIEW_PARTS = 64;

/**
 * Pieces shorter than this are unmasked in place when they arrive, longer ones while they are
 * joined (setting that up costs about as much as a second pass over a few KiB).
 */
const UNMASK_IN_PLACE_MAX_BYTES = 16 * 1024;

/**
 * The WebSocket protocol for one connection, without I/O: bytes in through `receive`, events
 * and bytes out through the handler. Enforces framing (RFC 6455 §5), fragmentation (§5.4),
 * control frames (§5.5), UTF-8 (§8.1), the closing handshake (§7) and the message size limit.
 */
export class WebSocketSession {
  /** Kept as given, not copied: a server's connections share one (memory per idle connection). */
  private readonly options: SessionOptions;
  private readonly compression: SessionCompression | undefined;
  private readonly parser: FrameParser;
  /** Created with the first text message: a binary-only connection never needs one. */
  private utf8Validator: Utf8Validator | undefined;

  private stateValue: SessionState = SessionState.open;
  private closeSentValue = false;
  private closeReceivedValue = false;
  private closeCodeValue: number = CloseCode.abnormal;
  private closeReasonValue = '';

  // The frame being read (a control frame when its opcode is 8 or more).
  private frameOpcode = 0;
  private frameFin = false;
  private frameLength = 0;
  private framePieces = 0;
  /** See FrameHeader.headerBytesBeforePayload. */
  private frameHeaderBytes = 0;
  private control: Uint8Array | undefined;
  private controlLength = 0;

  // The message being assembled.
  private inMessage = false;
  private messageIsText = false;
  private messageCompressed = false;
  private buffer: Uint8Array = EMPTY;
  /** Bytes of the message so far: in `parts` while it has them, else in `buffer`. */
  private bufferLength = 0;
  /** The message's pieces as views into the received chunks, while it has few (see Parts). */
  private parts: Parts | undefined;
  /** Bytes received for the message so far (compressed bytes for compressed messages). */
  private wireLength = 0;

  /** `compression` is this session's own, where `options` are shared (they default to theirs). */
  constructor(
    private readonly handler: SessionHandler,
    options: SessionOptions,
    compression: SessionCompression | undefined = options.compression,
  ) {
    this.options = options;
    this.compression = compression;
    this.parser = new FrameParser(this);
  }

  /** Pieces come still masked: those of a long message are unmasked while they are joined. */
  get unmasksPieces(): boolean {
    return true;
  }

  get side(): 'server' | 'client' {
    return this.options.side;
  }
  private get maxMessageBytes(): number {
    return this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }
  private get autoPong(): boolean {
    return this.options.autoPong ?? true;
  }
  private get allocate(): Allocate {
    return this.options.allocate ?? allocateZeroed;
  }
  private get allocateMessage(): Allocate {
    return this.options.allocateMessage ?? allocateZeroed;
  }

  get state(): SessionState {
    return this.stateValue;
  }
  get closeSent(): boolean {
    return this.closeSentValue;
  }
  get closeReceived(): boolean {
    return this.closeReceivedValue;
  }
  /** The code of the peer's close frame (1005 without one, 1006 when none came). */
  get closeCode(): number {
    return this.closeCodeValue;
  }
  get closeReason(): string {
    return this.closeReasonValue;
  }

  // --- bytes in -------------------------------------------------------------------------

  /**
   * Takes a chunk of received bytes, which then belongs to the session: it unmasks payloads and
   * zeroes headers in place, and may hand a message in it to the application as it is.
   */
  receive(chunk: Uint8Array): void {
    this.parser.push(chunk);
  }

  /** Holds incoming bytes unparsed until `resume` (an application finishing a message first). */
  pause(): void {
    this.parser.pause();
  }

  resume(): void {
    this.parser.resume();
  }

  get paused(): boolean {
    return this.parser.paused;
  }

  /** The transport reached end of stream; nothing more will be parsed. */
  receiveEof(): void {
    this.parser.stop();
    this.stateValue = SessionState.closed;
    this.releaseMessage();
  }

  onFrameLengthInvalid(): void {
    this.fail(
      'WSG_FRAME_LENGTH_INVALID',
      'a 64-bit payload length has its most significant bit set',
    );
  }

  onFrameHeader(header: FrameHeader): boolean {
    const opcode = header.opcode;
    // RFC 6455 §5.1: clients mask every frame, servers none.
    if (header.masked !== (this.side === 'server')) {
      return this.fail(
        this.side === 'server' ? 'WSG_FRAME_UNMASKED' : 'WSG_FRAME_MASKED',
        `opcode ${opcode}`,
      );
    }
    // RFC 6455 §5.2: RSV bits need an extension; RFC 7692 §6: RSV1 only on a message's first frame.
    if (header.rsv2 || header.rsv3) {
      return this.fail('WSG_FRAME_RSV_BITS', `RSV2/RSV3 set on opcode ${opcode}`);
    }
    if (
      header.rsv1 &&
      (this.compression === undefined || opcode === Opcode.continuation || opcode >= 8)
    ) {
      return this.fail(
        'WSG_FRAME_RSV_BITS',
        this.compression === undefined
          ? `RSV1 set on opcode ${opcode} without permessage-deflate`
          : `RSV1 set on opcode ${opcode}`,
      );
    }
    this.frameOpcode = opcode;
    this.frameFin = header.fin;
    this.frameLength = header.payloadLength;
    this.framePieces = 0;
    this.frameHeaderBytes = header.headerBytesBeforePayload;
    if (opcode >= 8) {
      if (opcode > Opcode.pong) return this.fail('WSG_FRAME_OPCODE_UNKNOWN', `opcode ${opcode}`);
      // RFC 6455 §5.5: control frames are short and never fragmented.
      if (!header.fin)
        return this.fail('WSG_CONTROL_FRAME_FRAGMENTED', `opcode ${opcode} with FIN clear`);
      if (header.payloadLength > MAX_CONTROL_PAYLOAD_BYTES) {
        return this.fail(
          'WSG_CONTROL_FRAME_TOO_LONG',
          `opcode ${opcode} with ${header.payloadLength} bytes`,
        );
      }
      this.controlLength = 0;
      return true;
    }
    if (opcode > Opcode.binary) return this.fail('WSG_FRAME_OPCODE_UNKNOWN', `opcode ${opcode}`);
    // RFC 6455 §5.4: fragments of one message are not interleaved with another message.
    if (opcode === Opcode.continuation) {
      if (!this.inMessage)
        return this.fail(
          'WSG_CONTINUATION_UNEXPECTED',
          'continuation frame with no message in progress',
        );
    } else {
      if (this.inMessage)
        return this.fail(
          'WSG_CONTINUATION_EXPECTED',
          `opcode ${opcode} while a fragmented message is in progress`,
        );
      this.inMessage = true;
      this.messageIsText = opcode === Opcode.text;
      this.messageCompressed = header.rsv1;
      this.wireLength = 0;
      this.bufferLength = 0;
      if (this.messageIsText) this.utf8().reset();
    }
    // Compressed bytes may exceed the inflated size (see compressedLimit); the inflated size is
    // bounded again while inflating.
    const wireLimit = this.messageCompressed
      ? compressedLimit(this.maxMessageBytes)
      : this.maxMessageBytes;
    if (this.wireLength + header.payloadLength > wireLimit) {
      return this.fail(
        'WSG_MESSAGE_TOO_BIG',
        `${this.wireLength + header.payloadLength} bytes announced; the limit is ${this.maxMessageBytes}`,
      );
    }
    this.wireLength += header.payloadLength;
    return true;
  }

  onFramePayload(piece: Uint8Array, last: boolean, maskKey: number, maskPhase: number): boolean {
    if (this.frameOpcode >= 8) {
      if (maskKey !== 0) applyMaskKey(piece, maskKey, maskPhase);
      // A control frame that arrived whole is read in place; only one split across reads is copied.
      if (last && this.controlLength === 0) return this.handleControlFrame(piece);
      if (this.control === undefined) this.control = new Uint8Array(MAX_CONTROL_PAYLOAD_BYTES);
      const control = this.control;
      control.set(piece, this.controlLength);
      this.controlLength += piece.length;
      return last ? this.handleControlFrame(control.subarray(0, this.controlLength)) : true;
    }
    const firstPiece = this.framePieces === 0;
    this.framePieces++;
    const messageEnds = last && this.frameFin;
    const whole =
      messageEnds && firstPiece && this.bufferLength === 0 && piece.length === this.frameLength;
    let key = maskKey;
    // A whole message that shares its chunk with other bytes is copied into a buffer of its own
    // (see ownedView): a long one unmasked on the way (one pass), a short one unmasked in place
    // first, where the word view of the chunk is cached (see applyMaskKey), then copied.
    if (whole && !this.messageCompressed && !ownsItsBuffer(piece, this.frameHeaderBytes)) {
      const own = this.allocateMessage(piece.length);
      if (key !== 0 && piece.length >= UNMASK_IN_PLACE_MAX_BYTES) {
        copyUnmasked(piece, key, maskPhase, own, 0);
      } else {
        if (key !== 0) applyMaskKey(piece, key, maskPhase);
        own.set(piece);
      }
      if (this.messageIsText && !this.utf8().update(own)) {
        return this.fail('WSG_TEXT_INVALID_UTF8', 'invalid UTF-8 byte in a text message');
      }
      return this.deliver(own);
    }
    // Unmasked now when read now (a whole message, text checked as it comes) or short; the
    // other pieces are unmasked as they are copied into the message.
    if (key !== 0 && (whole || this.messageIsText || piece.length < UNMASK_IN_PLACE_MAX_BYTES)) {
      applyMaskKey(piece, key, maskPhase);
      key = 0;
    }
    if (this.messageCompressed) {
      return this.inflatePiece(piece, whole, firstPiece, messageEnds, key, maskPhase);
    }
    if (this.messageIsText && !this.utf8().update(piece)) {
      return this.fail('WSG_TEXT_INVALID_UTF8', 'invalid UTF-8 byte in a text message');
    }
    // Fast path: a whole message alone in its chunk is delivered as a view, without a copy.
    if (whole) return this.deliver(this.ownedView(piece, this.frameHeaderBytes));
    this.append(piece, firstPiece ? this.frameLength : 0, key, maskPhase);
    return messageEnds ? this.deliver(this.takeBuffer(true)) : true;
  }

  /**
   * Compressed messages are collected whole (bounded by the limit on wire bytes) and inflated
   * once at the end, with the inflated size bounded by the same limit while inflating.
   */
  private inflatePiece(
    piece: Uint8Array,
    whole: boolean,
    firstPiece: boolean,
    messageEnds: boolean,
    maskKey: number,
    maskPhase: number,
  ): boolean {
    if (!whole) this.append(piece, firstPiece ? this.frameLength : 0, maskKey, maskPhase);
    if (!messageEnds) return true;
    const compressed = whole ? piece : this.takeBuffer(false);
    const codec = (this.compression as SessionCompression).codec;
    const output = codec.decompress(compressed, this.maxMessageBytes);
    const inflated = typeof output === 'string' ? output : this.ownedView(output, 0);
    if (inflated === 'too-big') {
      return this.fail(
        'WSG_MESSAGE_TOO_BIG',
        `the message inflates to more than ${this.maxMessageBytes} bytes`,
      );
    }
    if (inflated === 'invalid') {
      return this.fail('WSG_COMPRESSED_DATA_INVALID', 'the DEFLATE data of a message is invalid');
    }
    if (this.messageIsText && !this.utf8().update(inflated)) {
      return this.fail('WSG_TEXT_INVALID_UTF8', 'invalid UTF-8 byte in a compressed text message');
    }
    return this.deliver(inflated);
  }

  /**
   * Adds a piece to the message: as a view while it has few pieces (see MAX_VIEW_PARTS), then
   * copied into the message buffer. The buffer grows to the frame's declared length or
   * by doubling (one buffer and few copies, however many fragments a message has), never past
   * the declared end of a final frame or the limit. A declared length is only a promise: at most
   * PREALLOCATE_AHEAD_BYTES are reserved beyond the bytes that arrived, so that a header alone
   * cannot make a connection hold up to the message limit (RFC 6455 §10.4).
   */
  private append(piece: Uint8Array, frameLength: number, maskKey: number, maskPhase: number): void {
    // Received chunks belong to the session (it unmasks them, and delivers a message that came
    // whole as a view): the pieces of a message are kept as views and joined once at its end.
    // One copy per byte (unmasking on the way), nothing allocated ahead of the bytes that arrived.
    if (this.buffer.length === 0) {
      const parts = this.parts;
      if (parts === undefined || parts.length < MAX_VIEW_PARTS * 3) {
        if (parts === undefined) this.parts = [piece, maskKey, maskPhase];
        else parts.push(piece, maskKey, maskPhase);
        this.bufferLength += piece.length;
        return;
      }
      this.parts = undefined;
      this.buffer = joinParts(parts, this.bufferLength, this.allocateMessage);
    }
    const needed = this.bufferLength + piece.length;
    if (needed > this.buffer.length) {
      const doubled = this.buffer.length * 2;
      const end = this.frameFin ? this.wireLength : Math.max(this.wireLength, this.maxMessageBytes);
      const capacity = Math.max(
        needed,
        Math.min(
          Math.max(doubled, this.bufferLength + frameLength),
          Math.max(doubled, needed + PREALLOCATE_AHEAD_BYTES),
          end,
        ),
      );
      const grown = this.allocateMessage(capacity);
      if (this.bufferLength > 0) grown.set(this.buffer.subarray(0, this.bufferLength));
      this.buffer = grown;
    }
    if (maskKey === 0) this.buffer.set(piece, this.bufferLength);
    else copyUnmasked(piece, maskKey, maskPhase, this.buffer, this.bufferLength);
    this.bufferLength = needed;
  }

  /**
   * `view` when its ArrayBuffer holds nothing else, or only its own frame's header before it
   * (`headerBytes`, zeroed by the parser: the frame alone in its chunk, the usual case for a
   * small message); otherwise a copy of its own. An
   * application may send or keep `message.buffer`: other messages, frame headers and old pool
   * bytes must not be in it.
   */
  private ownedView(view: Uint8Array, headerBytes: number): Uint8Array {
    if (ownsItsBuffer(view, headerBytes)) return view;
    const own = this.allocateMessage(view.length);
    own.set(view);
    return own;
  }

  /**
   * The message's bytes in one piece: `forApplication`, in a buffer that holds nothing else (see
   * ownedView); else (compressed data, read by the codec alone) wherever they are.
   */
  /** A control frame's payload in a buffer of its own (a Buffer's slice() would be a view). */
  private copyOf(payload: Uint8Array): Uint8Array {
    const own = this.allocateMessage(payload.length);
    own.set(payload);
    return own;
  }

  private takeBuffer(forApplication: boolean): Uint8Array {
    const parts = this.parts;
    let data: Uint8Array;
    if (parts === undefined) {
      // The buffer is the message's own (allocateMessage), with room to spare: zeroed.
      data = this.buffer.subarray(0, this.bufferLength);
      if (forApplication) this.buffer.fill(0, this.bufferLength);
    } else if (parts.length === 3) {
      data = parts[0] as Uint8Array;
      if (parts[1] !== 0) applyMaskKey(data, parts[1] as number, parts[2] as number);
      if (forApplication) data = this.ownedView(data, 0);
    } else {
      data = joinParts(parts, this.bufferLength, this.allocateMessage);
    }
    this.parts = undefined;
    this.buffer = EMPTY;
    this.bufferLength = 0;
    return data;
  }

  private releaseMessage(): void {
    this.inMessage = false;
    this.parts = undefined;
    this.buffer = EMPTY;
    this.bufferLength = 0;
  }

  private utf8(): Utf8Validator {
    if (this.utf8Validator === undefined) this.utf8Validator = new Utf8Validator();
    return this.utf8Validator;
  }

  private deliver(data: Uint8Array): boolean {
    if (this.messageIsText && !this.utf8().atBoundary) {
      return this.fail(
        'WSG_TEXT_INVALID_UTF8',
        'a text message ends in the middle of a UTF-8 sequence',
      );
    }
    this.inMessage = false;
    this.handler.onMessage(data, this.messageIsText);
    return !this.parser.stopped;
  }

  private handleControlFrame(payload: Uint8Array): boolean {
    if (this.frameOpcode === Opcode.ping) {
      if (this.autoPong && !this.closeSentValue) this.transmitFrame(Opcode.pong, payload, false);
      this.handler.onPing(this.copyOf(payload));
      return true;
    }
    if (this.frameOpcode === Opcode.pong) {
      this.handler.onPong(this.copyOf(payload));
      return true;
    }
    const close = parseClosePayload(payload);
    if (!close.valid) return this.fail(close.fault, `close payload of ${payload.length} bytes`);
    this.closeReceivedValue = true;
    this.closeCodeValue = close.code;
    this.closeReasonValue = close.reason;
    this.parser.stop();
    this.releaseMessage();
    // RFC 6455 §5.5.1: answer a close with a close, echoing its code.
    if (!this.closeSentValue) this.sendCloseFrame(close.code, '');
    this.stateValue = SessionState.closed;
    this.handler.onCloseFrame(close.code, close.reason);
    return false;
  }

  // --- bytes out ------------------------------------------------------------------------

  /** Sends a message; false when the session no longer sends data (after a close frame). */
  send(data: Uint8Array, isText: boolean): boolean {
    if (this.closeSentValue || this.stateValue === SessionState.closed) return false;
    const opcode = isText ? Opcode.text : Opcode.binary;
    const compression = this.compression;
    if (compression !== undefined && data.length >= compression.thresholdBytes) {
      this.transmitFrame(opcode, compression.codec.compress(data), true);
    } else {
      this.transmitFrame(opcode, data, false);
    }
    return true;
  }

  ping(payload: Uint8Array = EMPTY): boolean {
    return this.sendControl(Opcode.ping, payload);
  }

  pong(payload: Uint8Array = EMPTY): boolean {
    return this.sendControl(Opcode.pong, payload);
  }

  private sendControl(opcode: number, payload: Uint8Array): boolean {
    if (payload.length > MAX_CONTROL_PAYLOAD_BYTES) {
      throw new RangeError(
        `control frame payload is ${payload.length} bytes; at most 125 are allowed (RFC 6455 §5.5)`,
      );
    }
    if (this.closeSentValue || this.stateValue === SessionState.closed) return false;
    this.transmitFrame(opcode, payload, false);
    return true;
  }

  /** Starts the closing handshake (RFC 6455 §7.1.2). 1005 sends a close frame without a code. */
  close(code: number = CloseCode.normal, reason = ''): boolean {
    if (this.closeSentValue || this.stateValue === SessionState.closed) return false;
    this.sendCloseFrame(code, reason);
    this.stateValue = SessionState.closing;
    return true;
  }

  /**
   * Fails the connection (RFC 6455 §7.1.7): sends a close frame with the error's code, stops
   * reading, and tells the handler. Returns false so parser callbacks can `return this.fail(...)`.
   */
  fail(code: ClosingCode, detail: string): false {
    if (this.stateValue === SessionState.closed) return false;
    this.parser.stop();
    this.releaseMessage();
    if (!this.closeSentValue) this.sendCloseFrame(closeCodeFor(code), closeReasonFor(code));
    this.stateValue = SessionState.closed;
    this.handler.onFailure(code, detail);
    return false;
  }

  private sendCloseFrame(code: number, reason: string): void {
    // Encode first: a code or reason that may not be sent (RFC 6455 §7.4, §5.5) throws, and must
    // not leave the session believing its close frame went out.
    const payload = encodeClosePayload(code, reason);
    this.closeSentValue = true;
    this.transmitFrame(Opcode.close, payload, false);
  }

  private transmitFrame(opcode: number, payload: Uint8Array, compressed: boolean): void {
    transmitFrame(
      this.handler,
      opcode,
      payload,
      true,
      compressed,
      this.side === 'client',
      this.allocate,
    );
  }
}
