import type { ClosingCode } from '@wsgate/core';
import { closeCodeFor, closeReasonFor } from '@wsgate/core/adapter';
import { DEFAULT_MAX_MESSAGE_BYTES } from '@wsgate/core/protocol';
import type { DiagnosisParts } from '../diagnosis.js';
import { toHex } from '../exchange-log.js';
import { describeFrame } from '../frame-text.js';
import type { ReceivedFrame } from '../observed-session.js';

/** What the doctor saw when core's session failed the connection. */
export interface FrameFault {
  readonly code: ClosingCode;
  /** The session's own words. */
  readonly detail: string;
  /** The frame being read, as far as it came. */
  readonly frame: ReceivedFrame | undefined;
  /** The compressed bytes that did not inflate, when that was the fault. */
  readonly compressed: Buffer | undefined;
  readonly deflate: boolean;
}

/** The frame as the report names it: "text frame (no FIN), 3 bytes of payload". */
function frameText(fault: FrameFault): string {
  return fault.frame === undefined ? 'frame' : describeFrame(fault.frame);
}

function named(fault: FrameFault): string {
  return `a ${frameText(fault)}`;
}

/**
 * What each fault is, said about the frame that broke the rule. The session judged it; these
 * only put it into words a person can check against the bytes.
 */
const faultWords: Partial<Record<ClosingCode, (fault: FrameFault) => string>> = {
  WSG_FRAME_MASKED: (fault) =>
    `the server sent a masked ${frameText(fault)} (RFC 6455 §5.1: servers never mask)`,
  WSG_FRAME_RSV_BITS: (fault) =>
    `the server sent ${named(fault)} with RSV bits set${fault.deflate ? '' : ' and no extension was negotiated'}`,
  WSG_FRAME_OPCODE_UNKNOWN: (fault) => `the server sent ${named(fault)}`,
  WSG_CONTROL_FRAME_TOO_LONG: (fault) =>
    `the server sent ${named(fault)}: control frames carry at most 125 bytes`,
  WSG_CONTROL_FRAME_FRAGMENTED: (fault) =>
    `the server sent ${named(fault)}: control frames are never fragmented`,
  WSG_CONTINUATION_UNEXPECTED: () => 'the server sent a continuation frame outside a message',
  WSG_CONTINUATION_EXPECTED: () => 'the server started a new message inside a fragmented one',
  WSG_FRAME_LENGTH_INVALID: () =>
    'a frame has a 64-bit length with the most significant bit set (RFC 6455 §5.2)',
  WSG_TEXT_INVALID_UTF8: (fault) =>
    `the server sent ${named(fault)} that is not valid UTF-8 (${fault.detail})`,
  WSG_COMPRESSED_DATA_INVALID: (fault) =>
    `a compressed message of ${fault.compressed?.length ?? 0} bytes does not inflate: ${toHex(fault.compressed ?? Buffer.alloc(0), 32)}`,
  WSG_MESSAGE_TOO_BIG: (fault) =>
    fault.compressed === undefined
      ? `${named(fault)} makes a message larger than the doctor reads (${fault.detail})`
      : `a compressed message of ${fault.compressed.length} bytes inflates to more than the doctor reads (${DEFAULT_MAX_MESSAGE_BYTES} bytes)`,
  WSG_CLOSE_PAYLOAD_INVALID: (fault) =>
    `the server sent an invalid close frame: ${payloadHex(fault)}`,
  WSG_CLOSE_CODE_INVALID: (fault) => `the server sent an invalid close frame: ${payloadHex(fault)}`,
  WSG_CLOSE_REASON_INVALID_UTF8: (fault) =>
    `the server sent an invalid close frame: ${payloadHex(fault)}`,
};

function payloadHex(fault: FrameFault): string {
  return toHex(Buffer.concat(fault.frame?.pieces ?? []), 32);
}

/** The diagnosis of a server that broke a rule of RFC 6455 or RFC 7692, with the frame quoted. */
export function frameFaultDiagnosis(fault: FrameFault): DiagnosisParts {
  const what = faultWords[fault.code]?.(fault) ?? `${named(fault)}: ${fault.detail}`;
  const payload = Buffer.concat(fault.frame?.pieces ?? []);
  const reason = closeReasonFor(fault.code);
  return {
    summary:
      fault.code === 'WSG_MESSAGE_TOO_BIG'
        ? `The server sent more than the doctor reads: ${what}.`
        : `The server broke RFC 6455: ${what}.`,
    observed: [
      what,
      ...(fault.frame === undefined || payload.length === 0
        ? []
        : [`that frame's payload as received: ${toHex(payload, 64)}`]),
      `the doctor failed the connection as a wsgate server would: close ${closeCodeFor(fault.code)}${reason === '' ? '' : ` ${JSON.stringify(reason)}`}`,
    ],
    causes: ["A bug in the server's frame writer, or a proxy that alters WebSocket frames."],
    fix: ["Fix the server's frame writer, or the proxy that changes frames."],
  };
}
