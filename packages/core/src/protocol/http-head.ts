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

export type HeadFault =
  | 'WSG_REQUEST_MALFORMED'
  | 'WSG_HEADERS_TOO_LARGE'
  | 'WSG_REQUEST_LINE_ENDING_INVALID'
  | 'WSG_REQUEST_FRAMING_INVALID'
  | 'WSG_HTTP_VERSION_UNKNOWN';

export type HeadParseResult<Head> =
  | { readonly state: 'incomplete' }
  | { readonly state: 'complete'; readonly head: Head; readonly rest: Uint8Array }
  | { readonly state: 'failed'; readonly fault: HeadFault; readonly detail: string };

const INCOMPLETE = { state: 'incomplete' } as const;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HTTP_VERSION = /^HTTP\/(\d)\.(\d)$/;

// Node's and the browsers' TextDecoder decode "latin1" natively (ten times faster than building
// the string in JavaScript). WHATWG maps that label to windows-1252, which differs from latin1
// for bytes 0x80-0x9F only, and only by giving characters above U+00FF: those heads take the
// exact path below.
const latin1Decoder = new TextDecoder('latin1');
const ABOVE_LATIN1 = /[\u0100-\uffff]/;

function latin1(bytes: Uint8Array, start: number, end: number): string {
  const decoded = latin1Decoder.decode(bytes.subarray(start, end));
  if (!ABOVE_LATIN1.test(decoded)) return decoded;
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

/** `findHeadEnd`'s answer for a line break that is not CRLF. */
const BARE_LINE_BREAK = -2;

/**
 * Finds CRLF CRLF, looking at the bytes from `from` on; returns the index just past it, or -1.
 * `strict`: a bare LF, or a CR followed by anything but LF, gives BARE_LINE_BREAK at once.
 */
function findHeadEnd(bytes: Uint8Array, from: number, strict: boolean): number {
  const length = bytes.length;
  for (let i = Math.max(0, from); i < length; i++) {
    const byte = bytes[i];
    if (byte === 10) {
      if (bytes[i - 1] !== 13) {
        if (strict) return BARE_LINE_BREAK;
      } else if (bytes[i - 2] === 10 && bytes[i - 3] === 13) {
        return i + 1;
      }
    } else if (byte === 13 && strict && i + 1 < length && bytes[i + 1] !== 10) {
      return BARE_LINE_BREAK;
    }
  }
  return -1;
}

type Lines =
  | { ok: true; startLine: string; headers: HeaderMap; raw: [string, string][] }
  | { ok: false; fault: HeadFault; detail: string };

// RFC 9110 §5.6.2 token characters, by character code (a table: one lookup per character).
const TOKEN_CHARS = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TOKEN_CHARS[char.charCodeAt(0)] = 1;

function isToken(text: string, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || TOKEN_CHARS[code] === 0) return false;
  }
  return true;
}

function isSpaceOrTab(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Parses the header lines of a head (which ends with CRLF CRLF), scanning the text in place:
 * no array of lines, no regular expression per line (this runs for every handshake).
 */
function parseLines(text: string, limits: HttpHeadLimits): Lines {
  const startLineEnd = text.indexOf('\r\n');
  const startLine = text.slice(0, startLineEnd);
  const headers: HeaderMap = Object.create(null);
  const raw: [string, string][] = [];
  // The empty line that ends the head starts two characters before the end.
  const last = text.length - 2;
  let count = 0;
  let fault: Lines | undefined;
  for (let position = startLineEnd + 2; position < last; count++) {
    const lineEnd = text.indexOf('\r\n', position);
    // Past the limit only the count matters: the refusal names it.
    if (fault === undefined && count < limits.maxHeaderCount)
      fault = parseLine(text, position, lineEnd, headers, raw);
    position = lineEnd + 2;
  }
  if (count > limits.maxHeaderCount) {
    return {
      ok: false,
      fault: 'WSG_HEADERS_TOO_LARGE',
      detail: `${count} header lines; at most ${limits.maxHeaderCount} are accepted`,
    };
  }
  if (fault !== undefined) return fault;
  return { ok: true, startLine, headers, raw };
}

/** One header line, text[start..end): added to `headers` and `raw`, or the fault. */
function parseLine(
  text: string,
  start: number,
  end: number,
  headers: HeaderMap,
  raw: [string, string][],
): Lines | undefined {
  if (text.indexOf('\r', start) < end || text.indexOf('\n', start) < end) {
    return {
      ok: false,
      fault: 'WSG_REQUEST_MALFORMED',
      detail: 'a header line ends with a bare CR or LF',
    };
  }
  // RFC 9112 §5.2: obsolete line folding is rejected.
  if (isSpaceOrTab(text.charCodeAt(start))) {
    return {
      ok: false,
      fault: 'WSG_REQUEST_MALFORMED',
      detail: 'a header is folded over several lines (obs-fold)',
    };
  }
  const colon = text.indexOf(':', start);
  // RFC 9112 §5.1: no whitespace between the field name and the colon.
  if (colon === -1 || colon >= end || !isToken(text, start, colon)) {
    return {
      ok: false,
      fault: 'WSG_REQUEST_MALFORMED',
      detail: `invalid header line ${JSON.stringify(text.slice(start, Math.min(end, start + 40)))}`,
    };
  }
  const name = text.slice(start, colon);
  let valueStart = colon + 1;
  let valueEnd = end;
  while (valueStart < valueEnd && isSpaceOrTab(text.charCodeAt(valueStart))) valueStart++;
  while (valueEnd > valueStart && isSpaceOrTab(text.charCodeAt(valueEnd - 1))) valueEnd--;
  // Field values: visible characters, obs-text, spaces and tabs (RFC 9110 §5.5).
  for (let i = valueStart; i < valueEnd; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) {
      return {
        ok: false,
        fault: 'WSG_REQUEST_MALFORMED',
        detail: `header ${name} has control characters in its value`,
      };
    }
  }
  const value = text.slice(valueStart, valueEnd);
  const key = name.toLowerCase();
  const previous = headers[key];
  headers[key] = previous === undefined ? value : `${previous}, ${value}`;
  raw.push([name, value]);
  return undefined;
}

/** Accumulates bytes until a whole head has arrived, bounded by the limits. */
const NO_BYTES = new Uint8Array(0);

abstract class HeadParser<Head> {
  private buffered: Uint8Array = NO_BYTES;

  constructor(protected readonly limits: HttpHeadLimits = defaultHeadLimits) {}

  /** Whether a line break other than CRLF fails the head as soon as it arrives. */
  protected get strictLineEndings(): boolean {
    return false;
  }

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
    const headEnd = findHeadEnd(bytes, searchFrom, this.strictLineEndings);
    if (headEnd === BARE_LINE_BREAK) {
      // RFC 9112 §2.2: lines end with CRLF. Said at once, rather than waiting for a CRLF CRLF
      // that never comes; reading a bare LF as a line end is what lets heads be smuggled.
      return {
        state: 'failed',
        fault: 'WSG_REQUEST_LINE_ENDING_INVALID',
        detail: 'a line of the head ends with a bare LF or CR instead of CRLF',
      };
    }
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
    this.buffered = NO_BYTES;
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

/**
 * The body framing of a request head (RFC 9112 §6.1, §6.3): a fault when it is ambiguous (the
 * ways requests are smuggled), else undefined. Whether a body is welcome is the handshake's call.
 */
function framingFault(raw: readonly (readonly [string, string])[]): string | undefined {
  let lengths = 0;
  let transferEncoding = false;
  for (const [name, value] of raw) {
    const lower = name.toLowerCase();
    if (lower === 'transfer-encoding') transferEncoding = true;
    else if (lower === 'content-length') {
      lengths++;
      if (!/^\d+$/.test(value)) return `Content-Length: ${value.slice(0, 40)} is not a number`;
    }
  }
  if (lengths > 1) return `Content-Length appears ${lengths} times`;
  if (lengths === 1 && transferEncoding) return 'both Content-Length and Transfer-Encoding';
  return undefined;
}

export class HttpRequestParser extends HeadParser<HttpRequestHead> {
  protected override get strictLineEndings(): boolean {
    return true;
  }

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
    // RFC 9112 §2.3: HTTP/1.x heads; HTTP/1.0 and older are the handshake's to refuse (it needs
    // 1.1), a later minor version or another major one is no version this parser reads.
    if (versionMatch[1] !== '0' && version !== 'HTTP/1.0' && version !== 'HTTP/1.1') {
      return {
        state: 'failed',
        fault: 'WSG_HTTP_VERSION_UNKNOWN',
        detail: `the request line names ${version.slice(0, 20)}; this server speaks HTTP/1.1`,
      };
    }
    const framing = framingFault(raw);
    if (framing !== undefined) {
      return { state: 'failed', fault: 'WSG_REQUEST_FRAMING_INVALID', detail: framing };
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
