import type { HandshakeCode } from '../errors/catalogue.js';
import {
  type HandshakePolicy,
  type NegotiationOutcome,
  negotiateHandshake,
  type UpgradeRequest,
} from './handshake-server.js';
import { invalidFieldReason } from './http-field.js';

// Bootstrapping WebSockets with HTTP/2 (RFC 8441): the handshake is an extended CONNECT on one
// stream, and the stream's DATA frames then carry the WebSocket frames of RFC 6455.

/** The SETTINGS parameter a server sends to accept extended CONNECT (RFC 8441 §3). */
export const SETTINGS_ENABLE_CONNECT_PROTOCOL = 0x8;

/** The outcome of an extended CONNECT: what the 200 says, or a refusal with its catalogue code. */
export type ExtendedConnectOutcome<Agreement = unknown> = NegotiationOutcome<Agreement>;

function value(headers: UpgradeRequest['headers'], name: string): string | undefined {
  const field = headers[name];
  return Array.isArray(field) ? field.join(', ') : field;
}

function refuse(code: HandshakeCode, detail: string): ExtendedConnectOutcome<never> {
  return { accepted: false, code, detail };
}

/**
 * Validates an extended CONNECT request (RFC 8441 §4, §5) from its header fields, pseudo-header
 * fields (":method", ":protocol", ...) included, and decides the answer. Origin, subprotocols
 * and extensions are negotiated exactly as over HTTP/1.1. The path is the router's business.
 */
export function validateExtendedConnect<Agreement = unknown>(
  request: Pick<UpgradeRequest, 'headers'>,
  policy: HandshakePolicy<Agreement> = {},
): ExtendedConnectOutcome<Agreement> {
  const { headers } = request;
  const method = value(headers, ':method');
  const protocol = value(headers, ':protocol');
  if (protocol === undefined) {
    // RFC 9113 §8.5: a CONNECT without :protocol asks for a TCP tunnel, which is no WebSocket.
    return refuse(
      'WSG_H2_PROTOCOL_MISSING',
      `${method ?? 'a request'} without the :protocol pseudo-header`,
    );
  }
  // RFC 8441 §4: :protocol goes with the CONNECT method only.
  if (method !== 'CONNECT') {
    return refuse(
      'WSG_REQUEST_MALFORMED',
      `:protocol sent with the method ${method?.slice(0, 20)}`,
    );
  }
  // RFC 8441 §5: the token of the HTTP Upgrade Token Registry, case-insensitive as in Upgrade.
  if (protocol.toLowerCase() !== 'websocket') {
    return refuse('WSG_H2_PROTOCOL_UNSUPPORTED', `:protocol: ${protocol.slice(0, 100)}`);
  }
  // RFC 8441 §4: an extended CONNECT carries :scheme, :path and :authority.
  for (const name of [':scheme', ':path', ':authority']) {
    const field = value(headers, name);
    if (field === undefined || field.trim() === '') {
      return refuse('WSG_REQUEST_MALFORMED', `the extended CONNECT has no ${name} pseudo-header`);
    }
  }
  const version = value(headers, 'sec-websocket-version');
  if (version?.trim() !== '13') {
    return refuse(
      'WSG_VERSION_UNSUPPORTED',
      version === undefined
        ? 'no Sec-WebSocket-Version header'
        : `Sec-WebSocket-Version: ${version}`,
    );
  }
  // RFC 8441 §5: the key and its accept belong to the HTTP/1.1 upgrade; HTTP/2 does not use them.
  for (const name of ['sec-websocket-key', 'sec-websocket-accept']) {
    if (headers[name] !== undefined) {
      return refuse('WSG_H2_KEY_UNEXPECTED', `${name} was sent over HTTP/2`);
    }
  }
  return negotiateHandshake(request, policy);
}

/**
 * Header fields that mean something to one HTTP/1.1 connection only, and that an HTTP/2 message
 * must not carry (RFC 9113 §8.2.2).
 */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
]);

/** Whether an HTTP/1.1 header field has no place in an HTTP/2 message (RFC 9113 §8.2.2). */
export function isConnectionSpecificField(name: string): boolean {
  return CONNECTION_SPECIFIC.has(name.toLowerCase());
}

/**
 * The header fields of the 200 that accepts an extended CONNECT (RFC 8441 §5), extra headers
 * included (field names in lower case, as HTTP/2 requires). Throws a TypeError for an extra
 * header that cannot be written (RFC 9110 §5.1, §5.5), as `serializeAcceptResponse` does.
 */
export function extendedConnectResponseHeaders(
  outcome: {
    readonly subprotocol: string | undefined;
    readonly extensionsHeader: string | undefined;
  },
  extraHeaders: Readonly<Record<string, string | readonly string[]>> = {},
): Record<string, string | number | string[]> {
  const fault = invalidFieldReason(extraHeaders);
  if (fault !== undefined) throw new TypeError(fault);
  const fields: Record<string, string | number | string[]> = {};
  for (const [name, field] of Object.entries(extraHeaders)) {
    const lower = name.toLowerCase();
    if (isConnectionSpecificField(lower) || lower.startsWith(':')) continue;
    fields[lower] = typeof field === 'string' ? field : [...field];
  }
  fields[':status'] = 200;
  if (outcome.subprotocol !== undefined) fields['sec-websocket-protocol'] = outcome.subprotocol;
  if (outcome.extensionsHeader !== undefined)
    fields['sec-websocket-extensions'] = outcome.extensionsHeader;
  return fields;
}
