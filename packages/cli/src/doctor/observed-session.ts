import {
  encodeFrame,
  type FrameHeader,
  type SessionCompression,
  type SessionHandler,
  WebSocketSession,
} from '@wsgate/core/protocol';
import type { ExchangeLog } from './exchange-log.js';
import { toHex } from './exchange-log.js';
import { describeFrame } from './frame-text.js';

/** A frame from the server as far as it came: for the log, and for quoting it in a diagnosis. */
export interface ReceivedFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  /** The declared payload length. */
  readonly length: number;
  /** The payload bytes received so far, as received. */
  readonly pieces: Buffer[];
  /** What the doctor had sent last when this frame began (a close reply may follow it). */
  readonly sentBefore: SentFrame | undefined;
}

export interface SentFrame {
  readonly description: string;
  readonly hex: string;
  readonly atMs: number;
}

/**
 * Core's client session, with a window on its frames: every frame the server sends is logged
 * as it is read, and the frame being read is kept, so a failure can quote it. The session alone
 * judges the bytes (framing, fragmentation, UTF-8, inflating, the close rules), exactly as a
 * wsgate server does on its side.
 */
export class ObservedSession extends WebSocketSession {
  /** The frame being read, or the last one read. */
  frame: ReceivedFrame | undefined;

  constructor(
    handler: SessionHandler,
    compression: SessionCompression | undefined,
    private readonly log: ExchangeLog,
    private readonly lastSent: () => SentFrame | undefined,
  ) {
    super(handler, { side: 'client', compression });
  }

  override onFrameHeader(header: FrameHeader): boolean {
    this.frame = {
      fin: header.fin,
      rsv1: header.rsv1,
      opcode: header.opcode,
      masked: header.masked,
      length: header.payloadLength,
      pieces: [],
      sentBefore: this.lastSent(),
    };
    const accepted = super.onFrameHeader(header);
    // A header the session refused is the last thing read: log what it announced.
    if (!accepted) this.logFrame(this.frame, 'refused at its header');
    return accepted;
  }

  override onFrameLengthInvalid(): void {
    // No header was decoded: no frame to quote.
    this.frame = undefined;
    super.onFrameLengthInvalid();
  }

  override onFramePayload(
    piece: Uint8Array,
    last: boolean,
    maskKey: number,
    maskPhase: number,
  ): boolean {
    const frame = this.frame;
    // Copied before the session reads it: it may unmask in place or hand the bytes on.
    frame?.pieces.push(Buffer.from(piece));
    if (last && frame !== undefined) this.logFrame(frame);
    const accepted = super.onFramePayload(piece, last, maskKey, maskPhase);
    // Failed in the middle of a frame (invalid UTF-8 in its first bytes): log what came.
    if (!accepted && !last && frame !== undefined)
      this.logFrame(
        frame,
        `${frame.pieces.reduce((sum, piece) => sum + piece.length, 0)} received`,
      );
    return accepted;
  }

  /** Logs a frame; `partial` says why only part of it is shown. */
  private logFrame(frame: ReceivedFrame, partial?: string): void {
    const payload = Buffer.concat(frame.pieces);
    const complete = partial === undefined;
    const summary = describeFrame(frame);
    this.log.add({
      direction: 'received',
      kind: 'frame',
      summary: complete ? summary : `${summary} (${partial})`,
      // A whole frame as it came on the wire (server frames are not masked); else its payload so far.
      hex: complete
        ? toHex(
            Buffer.concat(encodeFrame(frame.opcode, payload, { fin: frame.fin, rsv1: frame.rsv1 })),
          )
        : toHex(payload),
    });
  }
}
