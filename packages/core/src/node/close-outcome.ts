import { closeReasonFor } from '../errors/close-reason.js';
import { WsgateError } from '../errors/wsgate-error.js';
import { CloseCode } from '../protocol/close.js';
import type { WebSocketSession } from '../protocol/session.js';

/** What a connection's 'close' event reports: the code, the reason, and the error if any. */
export type CloseOutcome = [code: number, reason: string, error: WsgateError | undefined];

/**
 * The close a connection reports once its socket closed: a protocol failure of ours by its own
 * code (RFC 6455 §7.4.1), else the peer's close frame, else 1006 with the cause (RFC 6455 §7.1.5:
 * no close frame was received).
 */
export function closeOutcome(
  failure: WsgateError | undefined,
  session: WebSocketSession,
  socketError: Error | undefined,
): CloseOutcome {
  if (
    failure?.closeCode !== undefined &&
    failure.closeCode !== CloseCode.abnormal &&
    failure.kind === 'protocol'
  ) {
    return [failure.closeCode, closeReasonFor(failure.code), failure];
  }
  if (session.closeReceived) return [session.closeCode, session.closeReason, failure];
  const error =
    failure ??
    new WsgateError(
      'WSG_CONNECTION_LOST',
      socketError ? { detail: socketError.message, cause: socketError } : {},
    );
  return [CloseCode.abnormal, '', error];
}
