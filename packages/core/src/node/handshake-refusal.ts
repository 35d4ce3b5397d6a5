import type { Duplex } from 'node:stream';
import type { HandshakeCode } from '../errors/catalogue.js';
import { buildRefusal } from '../errors/http-refusal.js';
import { logEventFor, logEventForException } from '../errors/log-event.js';
import { handshakeRefused } from '../observability/hooks.js';
import type { HandshakeRequest } from './handshake-request.js';
import { writeBuiltRefusal } from './refusal.js';
import { defaultRefusalJournal } from './refusal-journal.js';
import type { ServerOptions } from './server-options.js';

/**
 * Refuses a handshake with a catalogue code: logged, recorded in the refusal journal (so that a
 * browser's tagged attempt can learn why), and written as an HTTP answer.
 */
export function refuseHandshake(
  options: ServerOptions,
  request: HandshakeRequest | undefined,
  socket: Duplex,
  code: HandshakeCode,
  detail?: string,
  headers?: Readonly<Record<string, string>>,
  status?: number,
): void {
  const accept = request?.headers.accept;
  const refusal = buildRefusal(code, {
    ...(detail === undefined ? {} : { detail }),
    accept: Array.isArray(accept) ? accept.join(', ') : accept,
    ...(headers === undefined ? {} : { headers }),
    ...(status === undefined ? {} : { status }),
  });
  // The refusal's own code: WSG_RESPONSE_HEADER_INVALID when `headers` could not be written.
  options.onLog?.(
    logEventFor(refusal.code, {
      detail: refusal.detail,
      remoteAddress: request?.remoteAddress,
      path: request?.path,
    }),
  );
  handshakeRefused(request, refusal.code, refusal.status, refusal.detail);
  if (request !== undefined) {
    (options.refusalJournal ?? defaultRefusalJournal).recordFor(
      request,
      refusal.code,
      refusal.status,
    );
  }
  writeBuiltRefusal(socket, refusal);
}

/** An application function threw during a handshake: logged with its stack, answered 500 without it. */
export function refuseFailedHook(
  options: ServerOptions,
  request: HandshakeRequest,
  socket: Duplex,
  error: unknown,
): void {
  options.onLog?.(
    logEventForException('handshake', error, {
      remoteAddress: request.remoteAddress,
      path: request.path,
    }),
  );
  refuseHandshake(options, request, socket, 'WSG_HOOK_FAILED');
}
