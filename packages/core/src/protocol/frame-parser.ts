import { applyMaskKey, readMaskKey } from './mask.js';

/** A frame header as decoded (RFC 6455 §5.2). One object is reused for every frame. */
export interface FrameHeader {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  /** Declared payload length; above 2^53 it is only approximate, and always over any limit. */
  payloadLength: number;
  /**
   * The header's size when the payload's first piece follows it in the same chunk, else 0: the
   * bytes right before that piece are then this header, zeroed, and nothing else.
   */
  headerBytesBeforePayload: number;
}

export interface FrameHandler {
  /** A header was decoded. Return false to stop parsing (the connection failed). */
  onFrameHeader(header: FrameHeader): boolean;
  /**
   * A piece of the frame's payload, unmasked; `last` marks the piece that completes the frame.
   * Every frame ends with exactly one call with `last` set, an empty piece for an empty payload.
   * Return false to stop parsing. For a handler that `unmasksPieces` the piece is still masked:
   * `applyMaskKey(piece, maskKey, maskPhase)` unmasks it (`maskKey` is 0 when there is nothing
   * to unmask); for others `maskKey` is always 0.
   */
  onFramePayload(piece: Uint8Array, last: boolean, maskKey: number, maskPhase: number): boolean;
  /**
   * True for a handler that unmasks payload pieces itself, as it copies them (one pass over the
   * bytes instead of two). Read from the handler, so that a class can say it once for all.
   */
  readonly unmasksPieces?: boolean;
  /** The length field is invalid (RFC 6455 §5.2: the most significant bit must be 0). */
  onFrameLengthInvalid(): void;
}

const EMPTY = new Uint8Array(0);

/**
 * One header object for every parser: handlers read it synchronously in onFrameHeader, so a
 * connection need not carry its own (memory per idle connection).
 */
const sharedHeader: FrameHeader = {
  fin: false,
  rsv1: false,
  rsv2: false,
  rsv3: false,
  opcode: 0,
  masked: false,
  payloadLength: 0,
  headerBytesBeforePayload: 0,
};
const READING_HEADER = 0;
const READING_PAYLOAD = 1;
const STOPPED = 2;

/** Header size from the second byte: 2, plus 2 or 8 for extended lengths, plus 4 for a mask. */
function headerSize(secondByte: number): number {
  const length7 = secondByte & 0x7f;
  return 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (secondByte & 0x80 ? 4 : 0);
}

/**
 * Incremental frame parser: feed it chunks of any size, it calls the handler with headers and
 * unmasked payload pieces. The results do not depend on how the bytes were chunked. Payload
 * pieces are views into the chunk (unmasked in place, unless the handler unmasks them), never
 * copies; headers read from the chunk are zeroed there once decoded.
 */
export class FrameParser {
  private state = READING_HEADER;
  /** Header bytes collected across chunk boundaries (at most 14); allocated when first needed. */
  private partialHeader: Uint8Array | undefined;
  private partialHeaderLength = 0;
  /**
   * The frame's masking key as a number (see readMaskKey): no array per connection. 0 for an
   * unmasked frame; a masked one with the key 0 needs no unmasking either.
   */
  private maskKey = 0;
  private remaining = 0;
  private maskPhase = 0;
  private pausedValue = false;
  private consuming = false;
  /** Chunks (or the rest of one) received while paused, in order. */
  private held: Uint8Array[] | undefined;

  constructor(private readonly handler: FrameHandler) {}

  get stopped(): boolean {
    return this.state === STOPPED;
  }

  /** Stops parsing for good: later chunks are ignored (e.g. after a close frame). */
  stop(): void {
    this.state = STOPPED;
  }

  /** True while paused: bytes are held, not parsed. */
  get paused(): boolean {
    return this.pausedValue;
  }

  /**
   * Stops parsing after the current callback; the rest of the chunk and later chunks are held
   * in order until `resume`. Lets an application finish a message before the next is read.
   */
  pause(): void {
    this.pausedValue = true;
  }

  resume(): void {
    this.pausedValue = false;
    // Called from inside a callback, the running loop carries on by itself.
    if (!this.consuming) this.drainHeld();
  }

  push(chunk: Uint8Array): void {
    if (this.pausedValue || this.consuming || (this.held !== undefined && this.held.length > 0)) {
      if (this.held === undefined) this.held = [];
      this.held.push(chunk);
      if (!this.pausedValue && !this.consuming) this.drainHeld();
      return;
    }
    this.consume(chunk);
    if (this.held !== undefined && this.held.length > 0) this.drainHeld();
  }

  private drainHeld(): void {
    const held = this.held;
    if (held === undefined) return;
    while (!this.pausedValue && this.state !== STOPPED && held.length > 0) {
      this.consume(held.shift() as Uint8Array);
    }
    if (this.state === STOPPED || held.length === 0) this.held = undefined;
  }

  private consume(chunk: Uint8Array): void {
    this.consuming = true;
    try {
      const length = chunk.length;
      let position = 0;
      while (position < length) {
        if (this.pausedValue) {
          if (this.held === undefined) this.held = [];
          this.held.unshift(chunk.subarray(position));
          return;
        }
        if (this.state === READING_HEADER) {
          if (this.partialHeaderLength === 0 && length - position >= 2) {
            const size = headerSize(chunk[position + 1] as number);
            if (length - position >= size) {
              if (!this.decodeHeader(chunk, position)) return;
              position += size;
              continue;
            }
          }
          position = this.collectHeader(chunk, position);
        } else if (this.state === READING_PAYLOAD) {
          const take = Math.min(this.remaining, length - position);
          const piece = chunk.subarray(position, position + take);
          let key = this.maskKey;
          const phase = this.maskPhase;
          if (key !== 0) {
            this.maskPhase = (phase + take) & 3;
            if (this.handler.unmasksPieces !== true) {
              applyMaskKey(piece, key, phase);
              key = 0;
            }
          }
          position += take;
          this.remaining -= take;
          const last = this.remaining === 0;
          if (last) this.state = READING_HEADER;
          if (!this.handler.onFramePayload(piece, last, key, phase)) {
            this.state = STOPPED;
            return;
          }
        } else {
          return;
        }
      }
    } finally {
      this.consuming = false;
    }
  }

  /** Copies header bytes that straddle chunks; decodes once the whole header is there. */
  private collectHeader(chunk: Uint8Array, position: number): number {
    if (this.partialHeader === undefined) this.partialHeader = new Uint8Array(14);
    const buffer = this.partialHeader;
    let pos = position;
    if (this.partialHeaderLength < 2) {
      const take = Math.min(2 - this.partialHeaderLength, chunk.length - pos);
      buffer.set(chunk.subarray(pos, pos + take), this.partialHeaderLength);
      this.partialHeaderLength += take;
      pos += take;
      if (this.partialHeaderLength < 2) return pos;
    }
    const size = headerSize(buffer[1] as number);
    const take = Math.min(size - this.partialHeaderLength, chunk.length - pos);
    buffer.set(chunk.subarray(pos, pos + take), this.partialHeaderLength);
    this.partialHeaderLength += take;
    pos += take;
    if (this.partialHeaderLength === size) {
      this.partialHeaderLength = 0;
      this.decodeHeader(buffer, 0);
    }
    return pos;
  }

  /** Decodes a complete header at `offset`, then hands it to the handler. */
  private decodeHeader(bytes: Uint8Array, offset: number): boolean {
    const first = bytes[offset] as number;
    const second = bytes[offset + 1] as number;
    const header = sharedHeader;
    header.fin = (first & 0x80) !== 0;
    header.rsv1 = (first & 0x40) !== 0;
    header.rsv2 = (first & 0x20) !== 0;
    header.rsv3 = (first & 0x10) !== 0;
    header.opcode = first & 0x0f;
    header.masked = (second & 0x80) !== 0;
    let length = second & 0x7f;
    let cursor = offset + 2;
    if (length === 126) {
      length = ((bytes[cursor] as number) << 8) | (bytes[cursor + 1] as number);
      cursor += 2;
    } else if (length === 127) {
      const high =
        (((bytes[cursor] as number) << 24) |
          ((bytes[cursor + 1] as number) << 16) |
          ((bytes[cursor + 2] as number) << 8) |
          (bytes[cursor + 3] as number)) >>>
        0;
      const low =
        (((bytes[cursor + 4] as number) << 24) |
          ((bytes[cursor + 5] as number) << 16) |
          ((bytes[cursor + 6] as number) << 8) |
          (bytes[cursor + 7] as number)) >>>
        0;
      // RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0.
      if (high & 0x80000000) {
        this.state = STOPPED;
        this.handler.onFrameLengthInvalid();
        return false;
      }
      length = high * 0x100000000 + low;
      cursor += 8;
    }
    header.payloadLength = length;
    const end = cursor + (header.masked ? 4 : 0);
    this.maskKey = header.masked ? readMaskKey(bytes, cursor) : 0;
    const inPlace = bytes !== this.partialHeader;
    header.headerBytesBeforePayload = inPlace && end < bytes.length ? end - offset : 0;
    // Read, the header is zeroed: a payload alone in its chunk is then all the chunk holds
    // (an application may keep or send the whole ArrayBuffer of a message delivered in place).
    if (inPlace) for (let i = offset; i < end; i++) bytes[i] = 0;
    this.maskPhase = 0;
    if (!this.handler.onFrameHeader(header)) {
      this.state = STOPPED;
      return false;
    }
    if (length === 0) {
      if (!this.handler.onFramePayload(EMPTY, true, 0, 0)) {
        this.state = STOPPED;
        return false;
      }
      return this.state !== STOPPED;
    }
    this.remaining = length;
    this.state = READING_PAYLOAD;
    return true;
  }
}
