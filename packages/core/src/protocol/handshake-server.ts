import type { HandshakeCode } from '../errors/catalogue.js';
import { computeAcceptKey, isValidClientKey } from './accept-key.js';
import {
  type ExtensionOffer,
  formatExtension,
  parseExtensionsHeader,
  parseSubprotocolsHeader,
} from './extensions-header.js';
import { invalidFieldReason } from './http-field.js';
import { headerHasToken } from './http-head.js';

/** What the handshake needs of a request, whoever parsed it (Node's http or our own parser). */
export interface UpgradeRequest {
  readonly method: string;
  /** "1.1", "1.0", ... */
  readonly httpVersion: string;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Allowed origins: exact `scheme://host[:port]` strings, or a function deciding. */
export type OriginPolicy = readonly string[] | ((origin: string) => boolean);

/** Supported subprotocols in order of preference, or a function choosing among the offered. */
export type SubprotocolPolicy =
  | readonly string[]
  | ((offered: readonly string[]) => string | undefined);

/** Accepts one extension from the offers, or none (RFC 6455 §9.1: the server picks). */
export interface ExtensionNegotiator<Agreement> {
  negotiate(
    offers: readonly ExtensionOffer[],
  ): { readonly response: ExtensionOffer; readonly agreement: Agreement } | undefined;
}

export interface HandshakePolicy<Agreement = unknown> {
  /** Origin allow-list; requests without Origin (non-browser clients) pass unless `requireOrigin`. */
  readonly origins?: OriginPolicy | undefined;
  readonly requireOrigin?: boolean | undefined;
  readonly subprotocols?: SubprotocolPolicy | undefined;
  /** Refuse (400) when the client offers none of the supported subprotocols. */
  readonly requireSubprotocol?: boolean | undefined;
  readonly extensions?: ExtensionNegotiator<Agreement> | undefined;
  /**
   * Computes Sec-WebSocket-Accept for a valid key (RFC 6455 §4.2.2); the portable SHA-1 when
   * left out. The Node layer passes node:crypto's, several times faster.
   */
  readonly acceptKey?: ((key: string) => string) | undefined;
}

export type HandshakeOutcome<Agreement = unknown> =
  | {
      readonly accepted: true;
      readonly acceptKey: string;
      readonly subprotocol: string | undefined;
      readonly extension: Agreement | undefined;
      /** Sec-WebSocket-Extensions value of the answer, if an extension was accepted. */
      readonly extensionsHeader: string | undefined;
    }
  | { readonly accepted: false; readonly code: HandshakeCode; readonly detail: string };

function header(request: Pick<UpgradeRequest, 'headers'>, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function refuse(code: HandshakeCode, detail: string): HandshakeOutcome<never> {
  return { accepted: false, code, detail };
}

/** Normalizes an origin for comparison: scheme and host are case-insensitive (RFC 6454 §4). */
export function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/$/, '');
}

function originAllowed(policy: OriginPolicy, origin: string): boolean {
  if (typeof policy === 'function') return policy(origin);
  const wanted = normalizeOrigin(origin);
  return policy.some((allowed) => allowed === '*' || normalizeOrigin(allowed) === wanted);
}

/**
 * Validates an opening handshake (RFC 6455 §4.2.1) and decides the answer (§4.2.2): either the
 * values of the 101 response, or a refusal with its catalogue code and what exactly was wrong.
 * The path is the router's business, not this function's.
 */
export function validateUpgradeRequest<Agreement = unknown>(
  request: UpgradeRequest,
  policy: HandshakePolicy<Agreement> = {},
): HandshakeOutcome<Agreement> {
  const upgrade = header(request, 'upgrade');
  if (upgrade === undefined) {
    return refuse('WSG_NOT_WEBSOCKET', `${request.method} request without an Upgrade header`);
  }
  if (request.method !== 'GET') {
    return refuse('WSG_METHOD_NOT_ALLOWED', `the method was ${request.method}`);
  }
  // RFC 6455 §4.1: HTTP/1.1. Older versions cannot upgrade; a head claiming HTTP/2.0 or later
  // (HTTP/2 is never text, RFC 9112 §2.3) or HTTP/1.2 and up is no request Node or we can read.
  if (request.httpVersion !== '1.1') {
    const major = request.httpVersion.split('.')[0];
    return refuse(
      major === '0' || request.httpVersion === '1.0'
        ? 'WSG_HTTP_VERSION_UNSUPPORTED'
        : 'WSG_HTTP_VERSION_UNKNOWN',
      `the request was HTTP/${request.httpVersion.slice(0, 20)}`,
    );
  }
  // RFC 6455 §4.1: the handshake is a GET without a body; what follows its head is frames. A
  // body announced anyway would be frames to one reader and a body to another (smuggling).
  const contentLength = header(request, 'content-length');
  const transferEncoding = header(request, 'transfer-encoding');
  if (
    transferEncoding !== undefined ||
    (contentLength !== undefined && contentLength.trim() !== '0')
  ) {
    return refuse(
      'WSG_REQUEST_BODY_UNEXPECTED',
      transferEncoding !== undefined
        ? `Transfer-Encoding: ${transferEncoding.slice(0, 40)}`
        : `Content-Length: ${contentLength?.slice(0, 40)}`,
    );
  }
  if (!headerHasToken(upgrade, 'websocket')) {
    return refuse('WSG_UPGRADE_TOKEN_MISSING', `Upgrade: ${upgrade}`);
  }
  const connection = header(request, 'connection');
  if (!headerHasToken(connection, 'upgrade')) {
    return refuse(
      'WSG_CONNECTION_TOKEN_MISSING',
      connection === undefined ? 'no Connection header' : `Connection: ${connection}`,
    );
  }
  const host = header(request, 'host');
  if (host === undefined || host.trim() === '') {
    return refuse('WSG_HOST_MISSING', 'no Host header');
  }
  // RFC 9112 §3.2: two Host lines (joined with ", ") or a value with whitespace get a 400.
  if (Array.isArray(request.headers.host) || /\s/.test(host.trim())) {
    return refuse(
      'WSG_REQUEST_MALFORMED',
      `invalid or repeated Host header: ${host.slice(0, 200)}`,
    );
  }
  const version = header(request, 'sec-websocket-version');
  if (version?.trim() !== '13') {
    return refuse(
      'WSG_VERSION_UNSUPPORTED',
      version === undefined
        ? 'no Sec-WebSocket-Version header'
        : `Sec-WebSocket-Version: ${version}`,
    );
  }
  const key = header(request, 'sec-websocket-key');
  if (key === undefined) return refuse('WSG_KEY_MISSING', 'no Sec-WebSocket-Key header');
  const trimmedKey = key.trim();
  if (!isValidClientKey(trimmedKey)) {
    return refuse('WSG_KEY_INVALID', `Sec-WebSocket-Key: ${key.slice(0, 64)}`);
  }
  const negotiated = negotiateHandshake(request, policy);
  if (!negotiated.accepted) return negotiated;
  return { ...negotiated, acceptKey: (policy.acceptKey ?? computeAcceptKey)(trimmedKey) };
}

/** What both handshakes (RFC 6455 over HTTP/1.1, RFC 8441 over HTTP/2) agree on alike. */
export type NegotiationOutcome<Agreement = unknown> =
  | {
      readonly accepted: true;
      readonly subprotocol: string | undefined;
      readonly extension: Agreement | undefined;
      /** Sec-WebSocket-Extensions value of the answer, if an extension was accepted. */
      readonly extensionsHeader: string | undefined;
    }
  | { readonly accepted: false; readonly code: HandshakeCode; readonly detail: string };

/**
 * The checks and choices that do not depend on the HTTP version (RFC 6455 §4.2.1 items 8-10,
 * RFC 8441 §5): Origin, the subprotocol and the extensions.
 */
export function negotiateHandshake<Agreement = unknown>(
  request: Pick<UpgradeRequest, 'headers'>,
  policy: HandshakePolicy<Agreement> = {},
): NegotiationOutcome<Agreement> {
  const origin = header(request, 'origin');
  if (policy.origins !== undefined) {
    if (origin === undefined) {
      if (policy.requireOrigin)
        return refuse('WSG_ORIGIN_REFUSED', 'the request has no Origin header');
    } else if (!originAllowed(policy.origins, origin)) {
      return refuse('WSG_ORIGIN_REFUSED', `Origin ${origin.slice(0, 200)} is not allowed`);
    }
  }
  const offered = parseSubprotocolsHeader(header(request, 'sec-websocket-protocol'));
  if (offered === undefined) {
    return refuse(
      'WSG_SUBPROTOCOLS_MALFORMED',
      `Sec-WebSocket-Protocol: ${header(request, 'sec-websocket-protocol')?.slice(0, 200)}`,
    );
  }
  let subprotocol: string | undefined;
  if (policy.subprotocols !== undefined && offered.length > 0) {
    const chosen =
      typeof policy.subprotocols === 'function'
        ? policy.subprotocols(offered)
        : policy.subprotocols.find((supported) => offered.includes(supported));
    // RFC 6455 §4.2.2: the server answers with one of the client's offers, or with none.
    subprotocol = chosen !== undefined && offered.includes(chosen) ? chosen : undefined;
  }
  if (policy.requireSubprotocol && subprotocol === undefined) {
    const supported = typeof policy.subprotocols === 'function' ? [] : (policy.subprotocols ?? []);
    return refuse(
      'WSG_SUBPROTOCOL_REQUIRED',
      `offered: ${offered.join(', ') || 'none'}${supported.length > 0 ? `; supported: ${supported.join(', ')}` : ''}`,
    );
  }
  let extension: Agreement | undefined;
  let extensionsHeader: string | undefined;
  const extensionsValue = header(request, 'sec-websocket-extensions');
  if (extensionsValue !== undefined) {
    const offers = parseExtensionsHeader(extensionsValue);
    if (offers === undefined) {
      return refuse(
        'WSG_EXTENSIONS_MALFORMED',
        `Sec-WebSocket-Extensions: ${extensionsValue.slice(0, 200)}`,
      );
    }
    const negotiated = policy.extensions?.negotiate(offers);
    if (negotiated !== undefined) {
      extension = negotiated.agreement;
      extensionsHeader = formatExtension(negotiated.response);
    }
  }
  return { accepted: true, subprotocol, extension, extensionsHeader };
}

/**
 * The 101 answer (RFC 6455 §4.2.2 step 5). Throws a TypeError for an extra header that cannot be
 * written (RFC 9110 §5.1, §5.5), as Node's `setHeader` does: check them first with
 * `invalidFieldReason` to refuse with WSG_RESPONSE_HEADER_INVALID instead.
 */
export function serializeAcceptResponse(
  outcome: {
    readonly acceptKey: string;
    readonly subprotocol: string | undefined;
    readonly extensionsHeader: string | undefined;
  },
  extraHeaders: Readonly<Record<string, string | readonly string[]>> = {},
): string {
  let head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${outcome.acceptKey}\r\n`;
  if (outcome.subprotocol !== undefined)
    head += `Sec-WebSocket-Protocol: ${outcome.subprotocol}\r\n`;
  if (outcome.extensionsHeader !== undefined)
    head += `Sec-WebSocket-Extensions: ${outcome.extensionsHeader}\r\n`;
  const fault = invalidFieldReason(extraHeaders);
  if (fault !== undefined) throw new TypeError(fault);
  for (const [name, value] of Object.entries(extraHeaders)) {
    // A repeated header (Set-Cookie) is written once per value (RFC 9110 §5.3).
    for (const item of typeof value === 'string' ? [value] : value) head += `${name}: ${item}\r\n`;
  }
  return `${head}\r\n`;
}
