import type { ErrorCode } from '@wsgate/core';
import { computeAcceptKey, type HttpResponseHead } from '@wsgate/core/protocol';
import { diagnose } from '../diagnosis.js';
import type { Diagnosis, StepName } from '../types.js';
import type { RequestContext } from './request-context.js';
import { observedResponse } from './response-signs.js';

/** The diagnosis for a 101 that breaks RFC 6455 (validateServerResponse's verdict). */
export function diagnoseBadSwitch(
  code: ErrorCode,
  detail: string,
  head: HttpResponseHead,
  request: RequestContext,
): { step: StepName; diagnosis: Diagnosis } {
  const observed = observedResponse(head, undefined);
  const statusLine = `HTTP/${head.httpVersion} ${head.status} ${head.statusText}`.trimEnd();
  if (code === 'WSG_ACCEPT_MISMATCH') {
    const got = head.headers['sec-websocket-accept'];
    return {
      step: 'version',
      diagnosis: diagnose('version', code, {
        summary: `${statusLine} with a wrong Sec-WebSocket-Accept: expected ${computeAcceptKey(request.key)}, got ${got ?? '(none)'}.`,
        observed: [
          ...observed,
          '',
          `Sec-WebSocket-Key sent:  ${request.key}`,
          `Sec-WebSocket-Accept expected: ${computeAcceptKey(request.key)} (base64 of SHA-1 of the key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)`,
          `Sec-WebSocket-Accept received: ${got ?? '(none)'}`,
        ],
        causes: [
          'The server computes the accept key wrongly (RFC 6455 §4.2.2 step 5.4), or copies the key back.',
          "A proxy or cache answered in the server's place with a stored 101 for another key.",
          'The server speaks an obsolete draft of the protocol.',
        ],
        fix: [
          'Fix the server\'s handshake: Sec-WebSocket-Accept = base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")). Browsers refuse this connection.',
        ],
      }),
    };
  }
  if (code === 'WSG_RESPONSE_SUBPROTOCOL_UNOFFERED') {
    return {
      step: 'subprotocol',
      diagnosis: diagnose('subprotocol', code, {
        summary: `${statusLine}, but ${detail}.`,
        observed,
        causes: [
          request.subprotocols.length === 0
            ? 'The server always names a subprotocol, even when the client offered none: browsers fail such a connection.'
            : "The server picks a subprotocol outside the client's offer: browsers fail such a connection.",
        ],
        fix: [
          'Fix the server to choose only from Sec-WebSocket-Protocol, or to send none when none was offered.',
          'Offer the subprotocol the server wants: --protocol NAME.',
        ],
      }),
    };
  }
  if (code === 'WSG_RESPONSE_EXTENSION_UNOFFERED') {
    return {
      step: 'extensions',
      diagnosis: diagnose('extensions', code, {
        summary: `${statusLine}, but ${detail}.`,
        observed: [
          ...observed,
          '',
          `Sec-WebSocket-Extensions offered: ${request.extensionsOffer ?? '(none)'}`,
        ],
        causes: [
          request.extensionsOffer === undefined
            ? 'The server enables an extension without the client asking for it: browsers fail such a connection.'
            : 'The server answers with an extension or parameter outside the offer (RFC 7692 §7.1).',
        ],
        fix: ["Fix the server's extension negotiation: accept only what the client offered."],
      }),
    };
  }
  return {
    step: 'upgrade',
    diagnosis: diagnose('upgrade', code, {
      summary: `${statusLine}, but ${detail}.`,
      observed,
      causes: ['The server (or a proxy) answers 101 without the headers RFC 6455 §4.2.2 requires.'],
      fix: ['Fix the server to send "Upgrade: websocket" and "Connection: Upgrade" with the 101.'],
    }),
  };
}
