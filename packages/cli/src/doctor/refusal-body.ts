import type { HttpResponseHead } from '@wsgate/core/protocol';
import { deadlineIn, type Wire } from './wire.js';

/** Largest refusal body read, for the diagnosis. */
const MAX_BODY_BYTES = 16 * 1024;
/** How long to wait for a refusal's body once its head is in. */
const BODY_WAIT_MS = 1_000;

/** The body of a refusal, as text: what came with the head, then what follows in a short wait. */
export async function readRefusalBody(
  wire: Wire,
  head: HttpResponseHead,
  rest: Uint8Array,
  timeoutMs: number,
): Promise<string> {
  let body = Buffer.from(rest);
  const chunked = /chunked/i.test(head.headers['transfer-encoding'] ?? '');
  const declared = Number(head.headers['content-length'] ?? Number.NaN);
  const wanted = Number.isFinite(declared) ? Math.min(declared, MAX_BODY_BYTES) : MAX_BODY_BYTES;
  // RFC 9112 §6.3: a chunked body ends with a zero-size chunk, a sized one at its length, any
  // other at the close; a refusal's body is only read for a bounded time either way.
  const complete = (): boolean =>
    body.length >= wanted || (chunked && /(?:^|\r\n)0\r\n\r\n/.test(body.toString('latin1')));
  const deadline = deadlineIn(Math.min(timeoutMs, BODY_WAIT_MS));
  while (!complete()) {
    const read = await wire.read(deadline);
    if (read.kind !== 'data') break;
    body = Buffer.concat([body, read.bytes]);
  }
  // Chunk sizes count bytes: undo the framing on latin1 text (one character per byte), then decode.
  const payload = chunked
    ? Buffer.from(dechunk(body.toString('latin1')), 'latin1')
    : body.subarray(0, wanted);
  return payload.toString('utf8');
}

/** The payload of a chunked body (RFC 9112 §7.1), as far as it came. */
function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd === -1) break;
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
  return out;
}
