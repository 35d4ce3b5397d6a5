import type { ClosingCode } from '../errors/catalogue.js';
import { closeCodeFor, closeReasonFor } from '../errors/close-reason.js';
import { CloseCode, encodeClosePayload, parseClosePayload } from './close.js';
import { type FrameHeader, FrameParser } from './frame-parser.js';
import { type Allocate, allocateZeroed, encodeFrame, transmitFrame } from './frame-serializer.js';
import { applyMaskKey } from './mask.js';
import { MessageAssembler } from './message-assembler.js';
import type { InflateResult, SessionCompression } from './message-codec.js';
import { MAX_CONTROL_PAYLOAD_BYTES, Opcode } from './opcodes.js';
import { SendOrder, type SendSlot } from './send-order.js';
import { type SessionHandler, type SessionOptions, SessionState } from './session-contract.js';
import {
  type SharedCompressedFrame,
  type SharedMessage,
  sharedFrameFor,
} from './shared-message.js';

export { DEFAULT_MAX_MESSAGE_BYTES } from './message-assembler.js';

export {
  type SessionHandler,
  type SessionOptions,
  SessionState,
} from './session-contract.js';

const EMPTY = new Uint8Array(0);

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
  /** Joins data frames into messages; made with the first one (memory per idle connection). */
  private message: MessageAssembler | undefined;

  private stateValue: SessionState = SessionState.open;
  private closeSentValue = false;
  private closeReceivedValue = false;
  private closeCodeValue: number = CloseCode.abnormal;
  private closeReasonValue = '';
  /** Frames held behind a message compressed off the event loop; made with the first one. */
  private order: SendOrder | undefined;
  /** Reading waits for a message inflated off the event loop. */
  private inflating = false;
  /** The application paused reading (see pause). */
  private pausedByApplication = false;

  // The frame being read (a control frame when its opcode is 8 or more).
  private frameOpcode = 0;
  private control: Uint8Array | undefined;
  private controlLength = 0;

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
    this.pausedByApplication = true;
    this.parser.pause();
  }

  resume(): void {
    this.pausedByApplication = false;
    if (!this.inflating) this.parser.resume();
  }

  /** @internal Frames held behind a message compressed off the event loop, if any ever were. */
  get sendQueue(): SendOrder | undefined {
    return this.order;
  }

  /** @internal The assembler's codec inflates a message later: nothing more is read until then. */
  holdForInflate(): void {
    this.inflating = true;
    this.parser.pause();
  }

  /** @internal The held message's inflate answered; `finish` handles it as the assembler does. */
  inflated(result: InflateResult, finish: (result: InflateResult) => boolean): void {
    this.inflating = false;
    // Closed meanwhile (end of stream, a failure): the message goes with the session.
    if (this.stateValue === SessionState.closed) return;
    if (finish(result) && !this.pausedByApplication) this.parser.resume();
    this.handler.onCodecSettled?.();
  }

  get paused(): boolean {
    return this.parser.paused;
  }

  /** The transport reached end of stream; nothing more will be parsed. */
  receiveEof(): void {
    this.parser.stop();
    this.stateValue = SessionState.closed;
    this.message?.release();
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
    this.message ??= new MessageAssembler(
      this,
      this.handler,
      this.parser,
      this.options,
      this.compression,
    );
    return this.message.onFrameHeader(header);
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
    return (this.message as MessageAssembler).onFramePayload(piece, last, maskKey, maskPhase);
  }

  /** A control frame's payload in a buffer of its own (a Buffer's slice() would be a view). */
  private copyOf(payload: Uint8Array): Uint8Array {
    const own = this.allocateMessage(payload.length);
    own.set(payload);
    return own;
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
    this.message?.release();
    // RFC 6455 §5.5.1: answer a close with a close, echoing its code.
    if (!this.closeSentValue) this.sendCloseFrame(close.code, '');
    this.stateValue = SessionState.closed;
    this.handler.onCloseFrame(close.code, close.reason);
    return false;
  }

  // --- bytes out ------------------------------------------------------------------------

  /**
   * Sends a message; false when the session no longer sends data (after a close frame). A
   * message the codec compresses later keeps its place: what is sent after it waits for it.
   */
  send(data: Uint8Array, isText: boolean): boolean {
    if (this.closeSentValue || this.stateValue === SessionState.closed) return false;
    const opcode = isText ? Opcode.text : Opcode.binary;
    const compression = this.compression;
    if (compression === undefined || data.length < compression.thresholdBytes) {
      this.transmitFrame(opcode, data, false);
      return true;
    }
    const codec = compression.codec;
    if (codec.compressOrDefer === undefined) {
      this.transmitFrame(opcode, codec.compress(data), true);
      return true;
    }
    let slot: SendSlot | undefined;
    const now = codec.compressOrDefer(data, (compressed) =>
      this.compressedLater(slot as SendSlot, opcode, compressed),
    );
    if (now !== undefined) this.transmitFrame(opcode, now, true);
    else slot = this.sendOrder().reserve(data.length);
    return true;
  }

  /**
   * Sends a message serialized once for many server sessions (a topic's): see sharedFrameFor.
   * Its compressed frame refers to nothing before it, so it fits every peer, context takeover or
   * not; nothing is compressed for this session alone.
   */
  sendShared(message: SharedMessage): boolean {
    if (this.closeSentValue || this.stateValue === SessionState.closed) return false;
    const waiting = this.order?.waiting === true;
    const frame = sharedFrameFor(message, this.compression, waiting, this.allocate);
    const codec = this.compression?.codec;
    if (Array.isArray(frame)) {
      // The peer's window takes in what it inflates, in order (RFC 7692 §7.2.3): ours follows.
      if (frame !== message.parts) codec?.sentShared?.(message.payload);
      this.transmitParts(frame);
      return true;
    }
    codec?.sentShared?.(message.payload);
    const slot = this.sendOrder().reserve(message.bytes);
    (frame as SharedCompressedFrame).waiters?.push((ready) => {
      if (ready.parts !== undefined) this.fillSlot(slot, ready.parts);
      else {
        // Our window already holds the message: it cannot go uncompressed now.
        this.fillSlot(slot, []);
        this.fail('WSG_INTERNAL_ERROR', 'compressing a topic message failed');
      }
    });
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
    this.message?.release();
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

  private sendOrder(): SendOrder {
    this.order ??= new SendOrder(this.handler);
    return this.order;
  }

  private compressedLater(
    slot: SendSlot,
    opcode: number,
    compressed: Uint8Array | undefined,
  ): void {
    if (compressed === undefined) {
      this.fillSlot(slot, []);
      this.fail('WSG_INTERNAL_ERROR', 'compressing a message failed');
      return;
    }
    const parts = encodeFrame(opcode, compressed, {
      rsv1: true,
      mask: this.side === 'client',
      allocate: this.allocate,
    });
    this.fillSlot(slot, parts);
  }

  private fillSlot(slot: SendSlot, parts: readonly Uint8Array[]): void {
    if ((this.order as SendOrder).fill(slot, parts)) this.handler.onCodecSettled?.();
  }

  private transmitParts(parts: readonly Uint8Array[]): void {
    const sink = this.order?.waiting === true ? this.order : this.handler;
    for (const part of parts) sink.onTransmit(part);
  }

  private transmitFrame(opcode: number, payload: Uint8Array, compressed: boolean): void {
    transmitFrame(
      this.order?.waiting === true ? this.order : this.handler,
      opcode,
      payload,
      true,
      compressed,
      this.side === 'client',
      this.allocate,
    );
  }
}
