import {
  type ClientCode,
  type ClosingCode,
  catalogue,
  errorCodes,
  type HandshakeCode,
  isClosingCode,
  isHandshakeCode,
} from './catalogue.js';

// The reverse index of the catalogue: which codes answer with a status or a close code, and what
// a status means to a client.

const handshakeCodes = errorCodes.filter(isHandshakeCode);

/** The handshake codes a server refuses with `status`, in catalogue order. */
export function handshakeCodesWithStatus(status: number): HandshakeCode[] {
  return handshakeCodes.filter((code) => catalogue[code].status === status);
}

/** The HTTP status of a handshake refusal with `code`, as the catalogue gives it. */
export function statusOf(code: HandshakeCode): number {
  return catalogue[code].status;
}

/** The request header (or part of the request) a handshake code objects to, if it names one. */
export function objectionOf(code: HandshakeCode): string | undefined {
  return catalogue[code].objectsTo;
}

const clientAnswers = errorCodes.flatMap((code) => {
  const entry = catalogue[code];
  return entry.kind === 'client' && entry.answers !== undefined
    ? [{ code: code as ClientCode, ...entry.answers }]
    : [];
});

/**
 * The client code for a handshake answer other than 101: the catalogue entry whose `answers`
 * range is the narrowest around `status` (404 is WSG_RESPONSE_NOT_FOUND before the 4xx of
 * WSG_RESPONSE_REFUSED). Every three-digit status has one (a test holds this).
 */
export function clientCodeForStatus(status: number): ClientCode {
  let best: (typeof clientAnswers)[number] | undefined;
  for (const answer of clientAnswers) {
    if (status < answer.from || status > answer.to) continue;
    if (best === undefined || answer.to - answer.from < best.to - best.from) best = answer;
  }
  if (best === undefined) throw new RangeError(`${status} is not an HTTP status (RFC 9110 §15)`);
  return best.code;
}

/** The codes a connection is closed with for `closeCode`, so that a bare "1009" reads as "one of these". */
export function closingCodesWithCloseCode(closeCode: number): ClosingCode[] {
  return errorCodes.filter(
    (code): code is ClosingCode => isClosingCode(code) && catalogue[code].closeCode === closeCode,
  );
}
