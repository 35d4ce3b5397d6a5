import type { Duplex } from 'node:stream';
import { isHandshakeCode } from '../errors/catalogue.js';
import { handshakeErrorRefusal, readHttpError } from '../errors/http-error.js';
import { logEventForException } from '../errors/log-event.js';
import { refuseHandshake } from './handshake-refusal.js';
import type { HandshakeRequest } from './handshake-request.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  type ServerOptions,
  type UpgradeRefusal,
} from './server-options.js';

/**
 * Runs the application's `verifyUpgrade` within `handshakeTimeoutMs`. Resolves with its refusal
 * (to be written), undefined to accept, or 'failed' when the hook threw or timed out: then the
 * 500 is already written, since the application's own error status may be kept.
 */
export async function runUpgradeHook(
  options: ServerOptions,
  request: HandshakeRequest,
  socket: Duplex,
  verify: NonNullable<ServerOptions['verifyUpgrade']>,
): Promise<UpgradeRefusal | undefined | 'failed'> {
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`verifyUpgrade did not settle within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    const decision =
      (await Promise.race([Promise.resolve().then(() => verify(request)), timeout])) || undefined;
    // A JavaScript hook is not held to the type: a code without a status is its failure.
    if (decision !== undefined && !isHandshakeCode(decision.refuse))
      throw new TypeError(
        `verifyUpgrade refused with ${String(decision.refuse)}, which is not a handshake code of the catalogue`,
      );
    return decision;
  } catch (error) {
    const named = handshakeErrorRefusal(error);
    if (named !== undefined) {
      return {
        refuse: named.code,
        ...(named.detail === undefined ? {} : { detail: named.detail }),
      };
    }
    options.onLog?.(
      logEventForException('handshake', error, {
        remoteAddress: request.remoteAddress,
        path: request.path,
      }),
    );
    // A server error the hook chose (an HTTP error with a 5xx) keeps its status.
    const status = readHttpError(error).status;
    const chosen = status !== undefined && status >= 500 && status <= 599 ? status : undefined;
    refuseHandshake(options, request, socket, 'WSG_HOOK_FAILED', undefined, undefined, chosen);
    return 'failed';
  } finally {
    clearTimeout(timer);
  }
}
