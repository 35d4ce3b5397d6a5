import type { ExtensionOffer } from './extensions-header.js';
import type { ExtensionNegotiator } from './handshake-server.js';

export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** What a server is willing to agree to (RFC 7692 §7.1). */
export interface DeflateOptions {
  /** Never reuse the compression context between messages we send (smaller memory, worse ratio). */
  readonly serverNoContextTakeover?: boolean | undefined;
  /** Ask the client not to reuse its context (we then keep no inflate dictionary). */
  readonly clientNoContextTakeover?: boolean | undefined;
  /** Largest LZ77 window we compress with, 8-15. */
  readonly serverMaxWindowBits?: number | undefined;
  /** Largest window we let the client use, 8-15; only sent when the client offered the parameter. */
  readonly clientMaxWindowBits?: number | undefined;
  /** zlib memory level for compression, 1-9. */
  readonly memLevel?: number | undefined;
  /** zlib compression level, 0-9. */
  readonly level?: number | undefined;
  /** Messages smaller than this go uncompressed. */
  readonly thresholdBytes?: number | undefined;
}

/** The parameters both sides agreed to, from the server's point of view. */
export interface DeflateAgreement {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

export const DEFAULT_DEFLATE_THRESHOLD_BYTES = 1024;

const PARAMETERS = new Set([
  'server_no_context_takeover',
  'client_no_context_takeover',
  'server_max_window_bits',
  'client_max_window_bits',
]);

/** RFC 7692 §7.1.2: window bits are a decimal integer from 8 to 15, without leading zeros. */
function parseWindowBits(value: string): number | undefined {
  return /^(?:8|9|1[0-5])$/.test(value) ? Number(value) : undefined;
}

interface ParsedParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number | undefined;
  /** `true` when present without a value. */
  readonly clientMaxWindowBits: number | true | undefined;
}

/**
 * Parses the parameters of one permessage-deflate offer or response. Undefined when a
 * parameter is unknown, repeated or has an invalid value (RFC 7692 §7.1: decline such an offer).
 */
export function parseDeflateParams(extension: ExtensionOffer): ParsedParams | undefined {
  const seen = new Set<string>();
  let serverNoContextTakeover = false;
  let clientNoContextTakeover = false;
  let serverMaxWindowBits: number | undefined;
  let clientMaxWindowBits: number | true | undefined;
  for (const [name, value] of extension.params) {
    if (!PARAMETERS.has(name) || seen.has(name)) return undefined;
    seen.add(name);
    if (name === 'server_no_context_takeover' || name === 'client_no_context_takeover') {
      if (value !== true) return undefined;
      if (name === 'server_no_context_takeover') serverNoContextTakeover = true;
      else clientNoContextTakeover = true;
    } else if (name === 'server_max_window_bits') {
      if (value === true) return undefined;
      serverMaxWindowBits = parseWindowBits(value);
      if (serverMaxWindowBits === undefined) return undefined;
    } else {
      if (value === true) {
        clientMaxWindowBits = true;
      } else {
        clientMaxWindowBits = parseWindowBits(value);
        if (clientMaxWindowBits === undefined) return undefined;
      }
    }
  }
  return {
    serverNoContextTakeover,
    clientNoContextTakeover,
    serverMaxWindowBits,
    clientMaxWindowBits,
  };
}

function clampBits(bits: number | undefined): number {
  return bits === undefined ? 15 : Math.min(15, Math.max(8, Math.trunc(bits)));
}

/** Server side: accept the first acceptable permessage-deflate offer (RFC 7692 §5, §7.1). */
export function negotiateDeflate(
  offers: readonly ExtensionOffer[],
  options: DeflateOptions = {},
): { readonly response: ExtensionOffer; readonly agreement: DeflateAgreement } | undefined {
  const ourServerBits = clampBits(options.serverMaxWindowBits);
  const ourClientBits = clampBits(options.clientMaxWindowBits);
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const params = parseDeflateParams(offer);
    if (params === undefined) continue; // declined; the next offer may do
    const serverNoContextTakeover =
      params.serverNoContextTakeover || options.serverNoContextTakeover === true;
    const clientNoContextTakeover =
      params.clientNoContextTakeover || options.clientNoContextTakeover === true;
    const serverMaxWindowBits = Math.min(params.serverMaxWindowBits ?? 15, ourServerBits);
    const response: [string, string | true][] = [];
    if (serverNoContextTakeover) response.push(['server_no_context_takeover', true]);
    if (clientNoContextTakeover) response.push(['client_no_context_takeover', true]);
    // RFC 7692 §7.1.2.1: answer a requested limit with a value no larger; we may also lower it.
    if (params.serverMaxWindowBits !== undefined || serverMaxWindowBits < 15) {
      response.push(['server_max_window_bits', String(serverMaxWindowBits)]);
    }
    // RFC 7692 §7.1.2.2: client_max_window_bits may only be answered when it was offered.
    let clientMaxWindowBits = 15;
    if (params.clientMaxWindowBits !== undefined) {
      const offered = params.clientMaxWindowBits === true ? 15 : params.clientMaxWindowBits;
      clientMaxWindowBits = Math.min(offered, ourClientBits);
      if (clientMaxWindowBits < 15)
        response.push(['client_max_window_bits', String(clientMaxWindowBits)]);
    }
    return {
      response: { name: PERMESSAGE_DEFLATE, params: response },
      agreement: {
        serverNoContextTakeover,
        clientNoContextTakeover,
        serverMaxWindowBits,
        clientMaxWindowBits,
      },
    };
  }
  return undefined;
}

export function createDeflateNegotiator(
  options: DeflateOptions = {},
): ExtensionNegotiator<DeflateAgreement> {
  return { negotiate: (offers) => negotiateDeflate(offers, options) };
}

/** The client's offer: every parameter it can honour (RFC 7692 §7.1). */
export function formatDeflateOffer(options: DeflateOptions = {}): string {
  const params = ['permessage-deflate'];
  if (options.clientNoContextTakeover) params.push('client_no_context_takeover');
  if (options.serverNoContextTakeover) params.push('server_no_context_takeover');
  if (options.serverMaxWindowBits !== undefined)
    params.push(`server_max_window_bits=${clampBits(options.serverMaxWindowBits)}`);
  params.push(
    options.clientMaxWindowBits === undefined
      ? 'client_max_window_bits'
      : `client_max_window_bits=${clampBits(options.clientMaxWindowBits)}`,
  );
  return params.join('; ');
}

/**
 * Client side: checks the server's answer against our offer (RFC 7692 §7.1). Undefined when the
 * answer has parameters we did not allow.
 */
export function acceptDeflateResponse(
  response: ExtensionOffer,
  offered: DeflateOptions = {},
): DeflateAgreement | undefined {
  const params = parseDeflateParams(response);
  if (params === undefined) return undefined;
  // RFC 7692 §7.1.2.2: a response's client_max_window_bits must carry a value.
  if (params.clientMaxWindowBits === true) return undefined;
  if (
    params.serverMaxWindowBits !== undefined &&
    offered.serverMaxWindowBits !== undefined &&
    params.serverMaxWindowBits > clampBits(offered.serverMaxWindowBits)
  ) {
    return undefined;
  }
  if (offered.serverNoContextTakeover && !params.serverNoContextTakeover) return undefined;
  const clientBits = params.clientMaxWindowBits ?? clampBits(offered.clientMaxWindowBits);
  if (
    offered.clientMaxWindowBits !== undefined &&
    clientBits > clampBits(offered.clientMaxWindowBits)
  )
    return undefined;
  return {
    serverNoContextTakeover: params.serverNoContextTakeover,
    clientNoContextTakeover:
      params.clientNoContextTakeover || offered.clientNoContextTakeover === true,
    serverMaxWindowBits: params.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: clientBits,
  };
}
