import { FrameParser, isControlOpcode, Opcode } from '@wsgate/core/protocol';

/** A frame as the server sent it. */
export interface ServerFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  /** Unmasked. */
  readonly payload: Buffer;
}

/** Largest server frame the doctor reads; it only needs a reply, not a stream. */
export const MAX_DOCTOR_FRAME_BYTES = 16 * 1024 * 1024;

const opcodeNames: Readonly<Record<number, string>> = {
  [Opcode.continuation]: 'continuation',
  [Opcode.text]: 'text',
  [Opcode.binary]: 'binary',
  [Opcode.close]: 'close',
  [Opcode.ping]: 'ping',
  [Opcode.pong]: 'pong',
};

export function opcodeName(opcode: number): string {
  return opcodeNames[opcode] ?? `reserved opcode ${opcode}`;
}

/** "text FIN 5 bytes" style description of a frame. */
export function describeFrame(frame: {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly length: number;
}): string {
  const flags = [
    frame.fin ? 'FIN' : 'no FIN',
    frame.rsv1 ? 'RSV1' : '',
    frame.masked ? 'masked' : '',
  ]
    .filter((flag) => flag !== '')
    .join(', ');
  return `${opcodeName(frame.opcode)} frame (${flags}), ${frame.length} byte${frame.length === 1 ? '' : 's'} of payload`;
}

/** Collects whole frames from the byte stream; refuses frames too large to hold. */
export class FrameCollector {
  private readonly parser: FrameParser;
  private current:
    | {
        fin: boolean;
        rsv1: boolean;
        rsv2: boolean;
        rsv3: boolean;
        opcode: number;
        masked: boolean;
        pieces: Buffer[];
      }
    | undefined;
  private ready: ServerFrame[] = [];
  /** Set when a frame cannot be read: its declared length is invalid or too large. */
  fault: string | undefined;

  constructor() {
    this.parser = new FrameParser({
      onFrameHeader: (header) => {
        if (header.payloadLength > MAX_DOCTOR_FRAME_BYTES) {
          this.fault = `a ${opcodeName(header.opcode)} frame declares ${header.payloadLength} bytes, more than the doctor reads (${MAX_DOCTOR_FRAME_BYTES})`;
          return false;
        }
        this.current = {
          fin: header.fin,
          rsv1: header.rsv1,
          rsv2: header.rsv2,
          rsv3: header.rsv3,
          opcode: header.opcode,
          masked: header.masked,
          pieces: [],
        };
        return true;
      },
      onFramePayload: (piece, last) => {
        const current = this.current;
        if (current === undefined) return false;
        current.pieces.push(Buffer.from(piece));
        if (last) {
          const { pieces, ...header } = current;
          this.ready.push({ ...header, payload: Buffer.concat(pieces) });
          this.current = undefined;
        }
        return true;
      },
      onFrameLengthInvalid: () => {
        this.fault =
          'a frame has a 64-bit length with the most significant bit set (RFC 6455 §5.2)';
      },
    });
  }

  /** Feeds bytes; returns the frames they complete. */
  push(bytes: Uint8Array): ServerFrame[] {
    // The parser unmasks in place: give it a copy so the caller's bytes stay as received.
    this.parser.push(Uint8Array.from(bytes));
    const frames = this.ready;
    this.ready = [];
    return frames;
  }
}

export type FrameFault = {
  readonly code:
    | 'WSG_FRAME_MASKED'
    | 'WSG_FRAME_RSV_BITS'
    | 'WSG_FRAME_OPCODE_UNKNOWN'
    | 'WSG_CONTROL_FRAME_TOO_LONG'
    | 'WSG_CONTROL_FRAME_FRAGMENTED';
  readonly detail: string;
};

/** RFC 6455 checks a client makes on each server frame. */
export function checkServerFrame(frame: ServerFrame, deflate: boolean): FrameFault | undefined {
  const what = describeFrame({ ...frame, length: frame.payload.length });
  // RFC 6455 §5.1: a server MUST NOT mask frames it sends to the client.
  if (frame.masked) return { code: 'WSG_FRAME_MASKED', detail: `the server sent a masked ${what}` };
  if (!(frame.opcode in opcodeNames))
    return { code: 'WSG_FRAME_OPCODE_UNKNOWN', detail: `the server sent a ${what}` };
  const control = isControlOpcode(frame.opcode);
  // RFC 6455 §5.2 and RFC 7692 §6: RSV1 only on the first frame of a compressed data message.
  if (
    frame.rsv2 ||
    frame.rsv3 ||
    (frame.rsv1 && (!deflate || control || frame.opcode === Opcode.continuation))
  )
    return {
      code: 'WSG_FRAME_RSV_BITS',
      detail: `the server sent a ${what} with RSV bits set${deflate ? '' : ' and no extension was negotiated'}`,
    };
  // RFC 6455 §5.5: control frames carry at most 125 bytes and are never fragmented.
  if (control && frame.payload.length > 125)
    return { code: 'WSG_CONTROL_FRAME_TOO_LONG', detail: `the server sent a ${what}` };
  if (control && !frame.fin)
    return { code: 'WSG_CONTROL_FRAME_FRAGMENTED', detail: `the server sent a ${what}` };
  return undefined;
}

/** A message for display: text as JSON-quoted text, binary as hex. */
export function showMessage(data: Buffer, isText: boolean, limit = 200): string {
  if (isText) {
    const text = data.toString('utf8');
    return JSON.stringify(text.length > limit ? `${text.slice(0, limit)}…` : text);
  }
  const hex = Array.from(data.subarray(0, 64), (byte) => byte.toString(16).padStart(2, '0')).join(
    ' ',
  );
  return `${data.length} bytes of binary: ${hex}${data.length > 64 ? ' …' : ''}`;
}
