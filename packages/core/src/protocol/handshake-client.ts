import type { ErrorCode } from '../errors/catalogue.js';
import { clientCodeForStatus } from '../errors/status-index.js';
import { computeAcceptKey } from './accept-key.js';
import { type ExtensionOffer, parseExtensionsHeader } from './extensions-header.js';
import { invalidFieldReason } from './http-field.js';
import { type HttpResponseHead, headerHasToken } from './http-head.js';

export interface ClientRequestOptions {
  /** Host header value: host, with the port when it is not the scheme's default. */
  readonly host: string;
  /** Path and query. */
  readonly path: string;
  readonly key: string;
  readonly origin?: string | undefined;
  readonly subprotocols?: readonly string[] | undefined;
  /** Sec-WebSocket-Extensions offer, already formatted. */
  readonly extensions?: string | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * The client's opening handshake (RFC 6455 §4.1). Throws a TypeError for an origin, subprotocol
 * or extra header that cannot be written (RFC 9110 §5.1, §5.5): a line break would add lines.
 */
export function serializeClientRequest(options: ClientRequestOptions): string {
  const fault = invalidFieldReason({
    ...options.headers,
    ...(options.origin === undefined ? {} : { Origin: options.origin }),
    ...(options.subprotocols === undefined
      ? {}
      : { 'Sec-WebSocket-Protocol': options.subprotocols }),
  });
  if (fault !== undefined) throw new TypeError(fault);
  let head =
    `GET ${options.path} HTTP/1.1\r\nHost: ${options.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${options.key}\r\nSec-WebSocket-Version: 13\r\n`;
  if (options.origin !== undefined) head += `Origin: ${options.origin}\r\n`;
  if (options.subprotocols !== undefined && options.subprotocols.length > 0) {
    head += `Sec-WebSocket-Protocol: ${options.subprotocols.join(', ')}\r\n`;
  }
  if (options.extensions !== undefined)
    head += `Sec-WebSocket-Extensions: ${options.extensions}\r\n`;
  for (const [name, value] of Object.entries(options.headers ?? {}))
    head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}

export type ServerResponseOutcome =
  | {
      readonly ok: true;
      readonly subprotocol: string | undefined;
      readonly extensions: readonly ExtensionOffer[];
    }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

/** Checks the server's answer to the opening handshake (RFC 6455 §4.1, the client's duties). */
export function validateServerResponse(
  response: HttpResponseHead,
  expected: {
    readonly key: string;
    readonly subprotocols?: readonly string[] | undefined;
    readonly extensionNames?: readonly string[] | undefined;
  },
): ServerResponseOutcome {
  const statusLine =
    `HTTP/${response.httpVersion} ${response.status} ${response.statusText}`.trim();
  const wsgateCode = response.headers['x-wsgate-error'];
  const named = wsgateCode ? ` (${wsgateCode})` : '';
  if (response.status !== 101) {
    const code = clientCodeForStatus(response.status);
    if (code === 'WSG_RESPONSE_UPGRADE_REQUIRED') {
      const version = response.headers['sec-websocket-version'];
      return {
        ok: false,
        code,
        detail: `${statusLine}${named}${version ? `; the server speaks Sec-WebSocket-Version ${version}` : ''}`,
      };
    }
    if (code === 'WSG_RESPONSE_NOT_UPGRADED') {
      const location = response.headers.location;
      return {
        ok: false,
        code,
        detail: `${statusLine}${named}${location ? `, Location: ${location}` : ''}; Upgrade: ${response.headers.upgrade ?? '(absent)'}, Connection: ${response.headers.connection ?? '(absent)'}`,
      };
    }
    return { ok: false, code, detail: `${statusLine}${named}` };
  }
  if (
    !headerHasToken(response.headers.upgrade, 'websocket') ||
    !headerHasToken(response.headers.connection, 'upgrade')
  ) {
    return {
      ok: false,
      code: 'WSG_RESPONSE_MALFORMED',
      detail: `101 without "Upgrade: websocket" and "Connection: Upgrade" (got Upgrade: ${response.headers.upgrade ?? '(absent)'}, Connection: ${response.headers.connection ?? '(absent)'})`,
    };
  }
  const accept = response.headers['sec-websocket-accept'];
  const expectedAccept = computeAcceptKey(expected.key);
  if (accept?.trim() !== expectedAccept) {
    return {
      ok: false,
      code: 'WSG_ACCEPT_MISMATCH',
      detail: `expected Sec-WebSocket-Accept ${expectedAccept}, got ${accept === undefined ? 'none' : accept.slice(0, 64)}`,
    };
  }
  return validateAgreement(response.headers, expected);
}

/**
 * Checks what the server agreed to (RFC 6455 §4.1 items 5-6): a subprotocol and extensions the
 * client offered. The same over HTTP/2 (RFC 8441 §5), where the answer is a 200.
 */
export function validateAgreement(
  headers: Readonly<Record<string, string | undefined>>,
  expected: {
    readonly subprotocols?: readonly string[] | undefined;
    readonly extensionNames?: readonly string[] | undefined;
  },
): ServerResponseOutcome {
  const response = { headers };
  const subprotocol = response.headers['sec-websocket-protocol']?.trim();
  if (subprotocol !== undefined && !(expected.subprotocols ?? []).includes(subprotocol)) {
    return {
      ok: false,
      code: 'WSG_RESPONSE_SUBPROTOCOL_UNOFFERED',
      detail: `the server chose ${subprotocol.slice(0, 100)}; offered: ${(expected.subprotocols ?? []).join(', ') || 'none'}`,
    };
  }
  const extensionsValue = response.headers['sec-websocket-extensions'];
  let extensions: ExtensionOffer[] = [];
  if (extensionsValue !== undefined) {
    const parsed = parseExtensionsHeader(extensionsValue);
    if (parsed === undefined) {
      return {
        ok: false,
        code: 'WSG_RESPONSE_MALFORMED',
        detail: `Sec-WebSocket-Extensions: ${extensionsValue.slice(0, 200)}`,
      };
    }
    const seen = new Set<string>();
    for (const extension of parsed) {
      if (!(expected.extensionNames ?? []).includes(extension.name)) {
        return {
          ok: false,
          code: 'WSG_RESPONSE_EXTENSION_UNOFFERED',
          detail: `the server accepted ${extension.name}, which was not offered`,
        };
      }
      // An offer is accepted once (RFC 6455 §9.1); a second acceptance leaves the agreed
      // parameters ambiguous, and the client cannot know which the server will use.
      if (seen.has(extension.name)) {
        return {
          ok: false,
          code: 'WSG_RESPONSE_EXTENSION_UNOFFERED',
          detail: `the server accepted ${extension.name} twice`,
        };
      }
      seen.add(extension.name);
    }
    extensions = parsed;
  }
  return { ok: true, subprotocol, extensions };
}
