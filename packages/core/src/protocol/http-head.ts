/**
 * HTTP/1.1 message head parsing (RFC 9112 §2-§5) with limits, for the standalone server's
 * requests and the client's responses. Only the head: bodies are not WebSocket business.
 */

export interface HttpHeadLimits {
  /** Bytes of the whole head, request line included (431 beyond). */
  readonly maxHeaderBytes: number;
  /** Header lines (431 beyond). */
  readonly maxHeaderCount: number;
}

export const defaultHeadLimits: HttpHeadLimits = { maxHeaderBytes: 16 * 1024, maxHeaderCount: 100 };

/** Header names in lower case; repeated headers joined with ", " (RFC 9110 §5.3). */
export type HeaderMap = Record<string, string>;

export interface HttpRequestHead {
  readonly method: string;
  readonly target: string;
  /** "1.1", "1.0", ... */
  readonly httpVersion: string;
  readonly headers: HeaderMap;
  /** Names and values as received, in order. */
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>;
}

export interface HttpResponseHead {
  readonly httpVersion: string;
  readonly status: number;
  readonly statusText: string;
  readonly headers: HeaderMap;
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>;
}

export type HeadFault = 'WSG_REQUEST_MALFORMED' | 'WSG_HEADERS_TOO_LARGE';

export type HeadParseResult<Head> =
  | { readonly state: 'incomplete' }
  | { readonly state: 'complete'; readonly head: Head; readonly rest: Uint8Array }
  | { readonly state: 'failed'; readonly fault: HeadFault; readonly detail: string };

const INCOMPLETE = { state: 'incomplete' } as const;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible characters, obs-text, spaces and tabs (RFC 9110 §5.5).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HTTP_VERSION = /^HTTP\/(\d)\.(\d)$/;

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i += 4096) {
    // apply() takes the typed array itself: no intermediate array of numbers.
    text += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[],
    );
  }
  return text;
}

/** Finds CRLF CRLF from `from`; returns the index just past it, or -1. */
function findHeadEnd(bytes: Uint8Array, from: number): number {
  for (let i = Math.max(0, from); i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10)
      return i + 4;
  }
  return -1;
}

type Lines =
  | { ok: true; startLine: string; headers: HeaderMap; raw: [string, string][] }
  | { ok: false; fault: HeadFault; detail: string };

function parseLines(text: string, limits: HttpHeadLimits): Lines {
  const lines = text.split('\r\n');
  const startLine = lines[0] ?? '';
  const headers: HeaderMap = Object.create(null);
  const raw: [string, string][] = [];
  // The head ends with CRLF CRLF, so the last two split parts are empty.
  const end = lines.length - 2;
  if (end - 1 > limits.maxHeaderCount) {
    return {
      ok: false,
      fault: 'WSG_HEADERS_TOO_LARGE',
      detail: `${end - 1} header lines; at most ${limits.maxHeaderCount} are accepted`,
    };
  }
  for (let i = 1; i < end; i++) {
    const line = lines[i] as string;
    if (line.includes('\r') || line.includes('\n')) {
      return {
        ok: false,
        fault: 'WSG_REQUEST_MALFORMED',
        detail: 'a header line ends with a bare CR or LF',
      };
    }
    // RFC 9112 §5.2: obsolete line folding is rejected.
    if (line.startsWith(' ') || line.startsWith('\t')) {
      return {
        ok: false,
        fault: 'WSG_REQUEST_MALFORMED',
        detail: 'a header is folded over several lines (obs-fold)',
      };
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    // RFC 9112 §5.1: no whitespace between the field name and the colon.
    if (!TOKEN.test(name)) {
      return {
        ok: false,
        fault: 'WSG_REQUEST_MALFORMED',
        detail: `invalid header line ${JSON.stringify(line.slice(0, 40))}`,
      };
    }
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) {
      return {
        ok: false,
        fault: 'WSG_REQUEST_MALFORMED',
        detail: `header ${name} has control characters in its value`,
      };
    }
    const key = name.toLowerCase();
    const previous = headers[key];
    headers[key] = previous === undefined ? value : `${previous}, ${value}`;
    raw.push([name, value]);
  }
  return { ok: true, startLine, headers, raw };
}

/** Accumulates bytes until a whole head has arrived, bounded by the limits. */
abstract class HeadParser<Head> {
  private buffered: Uint8Array = new Uint8Array(0);

  constructor(protected readonly limits: HttpHeadLimits = defaultHeadLimits) {}

  push(chunk: Uint8Array): HeadParseResult<Head> {
    const searchFrom = this.buffered.length - 3;
    let bytes = chunk;
    if (this.buffered.length > 0) {
      bytes = new Uint8Array(this.buffered.length + chunk.length);
      bytes.set(this.buffered);
      bytes.set(chunk, this.buffered.length);
    }
    const first = bytes[0];
    // RFC 9112 §3: a message starts with a token (the method) or "HTTP/". Say so at the first
    // byte rather than waiting for a head that will never come (TLS to a plain port, say).
    if (first !== undefined && (first < 0x21 || first > 0x7e)) {
      return {
        state: 'failed',
        fault: 'WSG_REQUEST_MALFORMED',
        detail:
          first === 0x16 || first === 0x15
            ? 'the bytes are a TLS record: TLS (wss:// or https://) was sent to a port that speaks plain HTTP'
            : `the bytes are not HTTP (first byte 0x${first.toString(16).padStart(2, '0')})`,
      };
    }
    const headEnd = findHeadEnd(bytes, searchFrom);
    if (headEnd === -1) {
      if (bytes.length > this.limits.maxHeaderBytes) {
        return {
          state: 'failed',
          fault: 'WSG_HEADERS_TOO_LARGE',
          detail: `the head is over ${this.limits.maxHeaderBytes} bytes`,
        };
      }
      // Keep a copy: the caller may reuse its chunk.
      this.buffered = bytes === chunk ? chunk.slice() : bytes;
      return INCOMPLETE;
    }
    if (headEnd > this.limits.maxHeaderBytes) {
      return {
        state: 'failed',
        fault: 'WSG_HEADERS_TOO_LARGE',
        detail: `the head is ${headEnd} bytes; at most ${this.limits.maxHeaderBytes} are accepted`,
      };
    }
    this.buffered = new Uint8Array(0);
    const lines = parseLines(latin1(bytes, 0, headEnd), this.limits);
    if (!lines.ok) return { state: 'failed', fault: lines.fault, detail: lines.detail };
    return this.finish(lines.startLine, lines.headers, lines.raw, bytes.subarray(headEnd));
  }

  protected abstract finish(
    startLine: string,
    headers: HeaderMap,
    raw: [string, string][],
    rest: Uint8Array,
  ): HeadParseResult<Head>;
}

export class HttpRequestParser extends HeadParser<HttpRequestHead> {
  protected finish(
    startLine: string,
    headers: HeaderMap,
    raw: [string, string][],
    rest: Uint8Array,
  ): HeadParseResult<HttpRequestHead> {
    const parts = startLine.split(' ');
    const [method = '', target = '', version = ''] = parts;
    const versionMatch = HTTP_VERSION.exec(version);
    if (
      parts.length !== 3 ||
      !TOKEN.test(method) ||
      target === '' ||
      !/^[\x21-\x7e]+$/.test(target) ||
      !versionMatch
    ) {
      return {
        state: 'failed',
        fault: 'WSG_REQUEST_MALFORMED',
        detail: `invalid request line ${JSON.stringify(startLine.slice(0, 80))}`,
      };
    }
    return {
      state: 'complete',
      head: {
        method,
        target,
        httpVersion: `${versionMatch[1]}.${versionMatch[2]}`,
        headers,
        rawHeaders: raw,
      },
      rest,
    };
  }
}

export class HttpResponseParser extends HeadParser<HttpResponseHead> {
  protected finish(
    startLine: string,
    headers: HeaderMap,
    raw: [string, string][],
    rest: Uint8Array,
  ): HeadParseResult<HttpResponseHead> {
    const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(startLine);
    const versionMatch = match ? HTTP_VERSION.exec(match[1] as string) : null;
    if (!match || !versionMatch) {
      return {
        state: 'failed',
        fault: 'WSG_REQUEST_MALFORMED',
        detail: `invalid status line ${JSON.stringify(startLine.slice(0, 80))}`,
      };
    }
    return {
      state: 'complete',
      head: {
        httpVersion: `${versionMatch[1]}.${versionMatch[2]}`,
        status: Number(match[2]),
        statusText: match[3] ?? '',
        headers,
        rawHeaders: raw,
      },
      rest,
    };
  }
}

/** Whether a comma-separated header value contains `token`, ignoring case (RFC 9110 §5.6.1). */
export function headerHasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const wanted = token.toLowerCase();
  for (const part of value.split(',')) {
    if (part.trim().toLowerCase() === wanted) return true;
  }
  return false;
}
