import type { ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import {
  type ExtendedConnectOutcome,
  extendedConnectResponseHeaders,
  validateExtendedConnect,
} from '../protocol/handshake-h2.js';
import {
  type HandshakeOutcome,
  type HandshakePolicy,
  serializeAcceptResponse,
  validateUpgradeRequest,
} from '../protocol/handshake-server.js';
import type { HandshakeRequest } from './handshake-request.js';

/** An accepted handshake of either HTTP version, or its refusal. */
export type AnyHandshakeOutcome<Agreement> =
  | HandshakeOutcome<Agreement>
  | ExtendedConnectOutcome<Agreement>;

/** RFC 6455 §4.2.1 for an HTTP/1.1 upgrade, RFC 8441 §5 for an extended CONNECT on HTTP/2. */
export function validateHandshake<Agreement>(
  request: HandshakeRequest,
  policy: HandshakePolicy<Agreement>,
): AnyHandshakeOutcome<Agreement> {
  return request.transport === 'h2'
    ? validateExtendedConnect(request, policy)
    : validateUpgradeRequest(request, policy);
}

/**
 * Writes the answer that accepts a handshake: the 101 on a socket, or the 200 HEADERS frame on
 * an HTTP/2 stream. Throws a TypeError, before writing anything, for an extra header that cannot
 * be written.
 */
export function writeAcceptAnswer(
  socket: Duplex,
  outcome: Extract<AnyHandshakeOutcome<unknown>, { accepted: true }>,
  extraHeaders: Readonly<Record<string, string | readonly string[]>> | undefined,
): void {
  if ('acceptKey' in outcome) {
    socket.write(serializeAcceptResponse(outcome, extraHeaders));
    return;
  }
  const headers = extendedConnectResponseHeaders(outcome, extraHeaders);
  try {
    (socket as ServerHttp2Stream).respond(headers);
  } catch (error) {
    // Node refuses a few more fields than RFC 9110 does (e.g. HTTP/2 pseudo-headers it owns).
    throw new TypeError((error as Error).message);
  }
}
