import { FrameParser, Opcode } from '@wsgate/core/protocol';

// How frames and messages are written in the report. Nothing here judges a frame: core's
// session does that (see session-reader.ts); this only puts what was seen into words.

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

/** What the report says about a frame's header. */
export interface FrameOutline {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly length: number;
}

/** "text frame (FIN, masked), 5 bytes of payload". */
export function describeFrame(frame: FrameOutline): string {
  const flags = [
    frame.fin ? 'FIN' : 'no FIN',
    frame.rsv1 ? 'RSV1' : '',
    frame.masked ? 'masked' : '',
  ]
    .filter((flag) => flag !== '')
    .join(', ');
  return `${opcodeName(frame.opcode)} frame (${flags}), ${frame.length} byte${frame.length === 1 ? '' : 's'} of payload`;
}

/**
 * The description of a frame the doctor's session wrote, read back with core's parser: the
 * session writes pongs and close replies by itself, so the log cannot rely on knowing them.
 */
export function describeSentFrame(bytes: Uint8Array): string {
  let outline: FrameOutline | undefined;
  new FrameParser({
    onFrameHeader: (header) => {
      outline = { ...header, length: header.payloadLength };
      return false;
    },
    onFramePayload: () => false,
    onFrameLengthInvalid: () => {},
    // The parser zeroes headers in place: it reads a copy, the socket gets the bytes as they are.
  }).push(Uint8Array.from(bytes));
  return outline === undefined ? `${bytes.length} bytes` : describeFrame(outline);
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
