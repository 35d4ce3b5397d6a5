import { MAX_CLOSE_REASON_BYTES } from '../errors/close-reason.js';
import { isValidUtf8 } from './utf8.js';

/** Close codes with meaning (RFC 6455 §7.4.1). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  /** Reserved: never on the wire; reported when a close frame had no code. */
  noStatus: 1005,
  /** Reserved: never on the wire; reported when TCP closed without a close frame. */
  abnormal: 1006,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  mandatoryExtension: 1010,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  badGateway: 1014,
} as const;

/**
 * Whether a code may appear in a close frame (RFC 6455 §7.4.1, §7.4.2 and the IANA registry):
 * 1000-1003 and 1007-1014 are defined for the protocol, 3000-4999 for libraries and apps.
 */
export function isValidWireCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}

export type ClosePayload =
  | { readonly valid: true; readonly code: number; readonly reason: string }
  | {
      readonly valid: false;
      readonly fault:
        | 'WSG_CLOSE_PAYLOAD_INVALID'
        | 'WSG_CLOSE_CODE_INVALID'
        | 'WSG_CLOSE_REASON_INVALID_UTF8';
    };

const decoder = new TextDecoder();

/** Parses a close frame payload (RFC 6455 §5.5.1); an empty payload means 1005, no code. */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { valid: true, code: CloseCode.noStatus, reason: '' };
  if (payload.length === 1) return { valid: false, fault: 'WSG_CLOSE_PAYLOAD_INVALID' };
  const code = ((payload[0] as number) << 8) | (payload[1] as number);
  if (!isValidWireCloseCode(code)) return { valid: false, fault: 'WSG_CLOSE_CODE_INVALID' };
  const reasonBytes = payload.subarray(2);
  if (!isValidUtf8(reasonBytes)) return { valid: false, fault: 'WSG_CLOSE_REASON_INVALID_UTF8' };
  return { valid: true, code, reason: decoder.decode(reasonBytes) };
}

const encoder = new TextEncoder();

/**
 * The one check of what an application asks a close frame to carry, with one wording for every
 * caller: the code must be sendable (RFC 6455 §7.4; 1005 means "no code") and the reason must fit
 * beside it (RFC 6455 §5.5). Returns the reason's UTF-8 bytes; throws a RangeError otherwise.
 */
export function checkCloseArguments(code: number, reason: string): Uint8Array {
  if (code !== CloseCode.noStatus && !isValidWireCloseCode(code)) {
    throw new RangeError(
      `close code ${code} may not be sent (RFC 6455 §7.4): use 1000-1003, 1007-1014 or 3000-4999`,
    );
  }
  const reasonBytes = encoder.encode(reason);
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(
      `close reason is ${reasonBytes.length} bytes of UTF-8; at most ${MAX_CLOSE_REASON_BYTES} fit in a close frame (RFC 6455 §5.5)`,
    );
  }
  return reasonBytes;
}

/** Builds a close payload. Code 1005 means "no code": an empty payload. */
export function encodeClosePayload(code: number, reason = ''): Uint8Array {
  const reasonBytes = checkCloseArguments(code, reason);
  if (code === CloseCode.noStatus) return new Uint8Array(0);
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}
