import type { ClosingCode } from '../errors/catalogue.js';
import type { FrameHeader, FrameParser } from './frame-parser.js';
import { type Allocate, allocateZeroed } from './frame-serializer.js';
import { applyMaskKey, copyUnmasked } from './mask.js';
import { compressedLimit, joinParts, ownsItsBuffer, type Parts } from './message-bytes.js';
import type { InflateResult, SessionCompression } from './message-codec.js';
import { Opcode } from './opcodes.js';
import type { SessionHandler, SessionOptions } from './session.js';
import { Utf8Validator } from './utf8.js';

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

/** What the assembler needs of its session: failing the connection, holding reading for an inflate. */
export interface FailingSession {
  fail(code: ClosingCode, detail: string): false;
  holdForInflate(): void;
  inflated(result: InflateResult, finish: (result: InflateResult) => boolean): void;
}

/**
 * The data frames of one session joined into messages: fragments in order (RFC 6455 §5.4), the
 * message size limit checked from frame headers, text checked as UTF-8 as it comes (§8.1), and
 * compressed messages inflated through the codec (RFC 7692). Pure, like the session it serves.
 */
export class MessageAssembler {
  /** Created with the first text message: a binary-only connection never needs one. */
  private utf8Validator: Utf8Validator | undefined;

  // The data frame being read.
  private frameFin = false;
  private frameLength = 0;
  private framePieces = 0;
  /** See FrameHeader.headerBytesBeforePayload. */
  private frameHeaderBytes = 0;

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

  constructor(
    private readonly session: FailingSession,
    private readonly handler: SessionHandler,
    private readonly parser: FrameParser,
    /** Kept as given, not copied: a server's connections share one (memory per idle connection). */
    private readonly options: SessionOptions,
    private readonly compression: SessionCompression | undefined,
  ) {}

  private get maxMessageBytes(): number {
    return this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }
  private get allocateMessage(): Allocate {
    return this.options.allocateMessage ?? allocateZeroed;
  }

  /** A data frame's header (opcode 0, 1 or 2, its RSV bits checked by the session). */
  onFrameHeader(header: FrameHeader): boolean {
    const opcode = header.opcode;
    this.frameFin = header.fin;
    this.frameLength = header.payloadLength;
    this.framePieces = 0;
    this.frameHeaderBytes = header.headerBytesBeforePayload;
    // RFC 6455 §5.4: fragments of one message are not interleaved with another message.
    if (opcode === Opcode.continuation) {
      if (!this.inMessage)
        return this.session.fail(
          'WSG_CONTINUATION_UNEXPECTED',
          'continuation frame with no message in progress',
        );
    } else {
      if (this.inMessage)
        return this.session.fail(
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
      return this.session.fail(
        'WSG_MESSAGE_TOO_BIG',
        `${this.wireLength + header.payloadLength} bytes announced; the limit is ${this.maxMessageBytes}`,
      );
    }
    this.wireLength += header.payloadLength;
    return true;
  }

  /** A piece of a data frame's payload, still masked (see WebSocketSession.unmasksPieces). */
  onFramePayload(piece: Uint8Array, last: boolean, maskKey: number, maskPhase: number): boolean {
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
        return this.session.fail('WSG_TEXT_INVALID_UTF8', 'invalid UTF-8 byte in a text message');
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
      return this.session.fail('WSG_TEXT_INVALID_UTF8', 'invalid UTF-8 byte in a text message');
    }
    // Fast path: a whole message alone in its chunk is delivered as a view, without a copy.
    if (whole) return this.deliver(this.ownedView(piece, this.frameHeaderBytes));
    this.append(piece, firstPiece ? this.frameLength : 0, key, maskPhase);
    return messageEnds ? this.deliver(this.takeBuffer(true)) : true;
  }

  /** Drops the message in progress (the session closed or failed): nothing of it is kept. */
  release(): void {
    this.inMessage = false;
    this.parts = undefined;
    this.buffer = EMPTY;
    this.bufferLength = 0;
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
    const limit = this.maxMessageBytes;
    if (codec.decompressOrDefer === undefined)
      return this.inflated(codec.decompress(compressed, limit));
    // A long message is inflated off the event loop; reading waits for it, which keeps the
    // connection's messages in order and its bytes held to what one read brings.
    const now = codec.decompressOrDefer(compressed, limit, (later) =>
      this.session.inflated(later, (output) => this.inflated(output)),
    );
    if (now !== undefined) return this.inflated(now);
    this.session.holdForInflate();
    return true;
  }

  /** A compressed message's inflated bytes, checked and delivered. */
  private inflated(output: InflateResult): boolean {
    const limit = this.maxMessageBytes;
    const inflated = typeof output === 'string' ? output : this.ownedView(output, 0);
    if (inflated === 'too-big') {
      return this.session.fail(
        'WSG_MESSAGE_TOO_BIG',
        `the message inflates to more than ${limit} bytes`,
      );
    }
    if (inflated === 'invalid') {
      return this.session.fail(
        'WSG_COMPRESSED_DATA_INVALID',
        'the DEFLATE data of a message is invalid',
      );
    }
    if (this.messageIsText && !this.isUtf8(inflated)) {
      return this.session.fail(
        'WSG_TEXT_INVALID_UTF8',
        'invalid UTF-8 byte in a compressed text message',
      );
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

  /** A whole message is valid UTF-8 (the session's streaming validator is left as it is). */
  private isUtf8(bytes: Uint8Array): boolean {
    const native = this.options.isUtf8;
    if (native !== undefined) return native(bytes);
    const validator = this.utf8();
    return validator.update(bytes) && validator.atBoundary;
  }

  private utf8(): Utf8Validator {
    if (this.utf8Validator === undefined) this.utf8Validator = new Utf8Validator();
    return this.utf8Validator;
  }

  private deliver(data: Uint8Array): boolean {
    if (this.messageIsText && !this.utf8().atBoundary) {
      return this.session.fail(
        'WSG_TEXT_INVALID_UTF8',
        'a text message ends in the middle of a UTF-8 sequence',
      );
    }
    this.inMessage = false;
    this.handler.onMessage(data, this.messageIsText);
    return !this.parser.stopped;
  }
}
