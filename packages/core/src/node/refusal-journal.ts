import type { IncomingMessage, ServerResponse } from 'node:http';
import { catalogue, type HandshakeCode } from '../errors/catalogue.js';
import { buildRefusal } from '../errors/http-refusal.js';
import type { HandshakeRequest } from './handshake-request.js';

/** The query parameter a page adds to a WebSocket URL to learn later why it was refused. */
export const ATTEMPT_PARAMETER = 'wsgate_attempt';
/** `GET /.well-known/wsgate/refusal?attempt=ID` answers with the refusal recorded for ID. */
export const REFUSAL_LOOKUP_PATH = '/.well-known/wsgate/refusal';

const ATTEMPT_ID = /^[A-Za-z0-9_-]{16,64}$/;

export interface RecordedRefusal {
  readonly code: HandshakeCode;
  readonly status: number;
}

export interface RefusalJournalOptions {
  /** Attempts remembered at most; the oldest go first. */
  readonly maxEntries?: number;
  /** How long a refusal can be looked up. */
  readonly ttlMs?: number;
  /** Lookups per client address per minute. */
  readonly lookupsPerMinute?: number;
}

export type RefusalLookup = { readonly found: RecordedRefusal } | 'unknown' | 'rate-limited';

/**
 * Browsers hide a failed handshake's HTTP status from pages (they only see close code 1006).
 * A page that tags its attempt with a random id can ask afterwards why it was refused. Only the
 * catalogue code and status are kept — nothing from the request — for a short, bounded time, and
 * lookups are rate-limited per address.
 */
export class RefusalJournal {
  readonly #entries = new Map<string, RecordedRefusal & { readonly expires: number }>();
  readonly #lookups = new Map<string, { windowStart: number; count: number }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #lookupsPerMinute: number;

  constructor(options: RefusalJournalOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#lookupsPerMinute = options.lookupsPerMinute ?? 60;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Records a refusal for the request's attempt id, if it carries a well-formed one. */
  recordFor(request: HandshakeRequest, code: HandshakeCode, status: number): void {
    const attempt = request.query.get(ATTEMPT_PARAMETER);
    if (attempt === null || !ATTEMPT_ID.test(attempt)) return;
    this.#entries.delete(attempt);
    this.#entries.set(attempt, { code, status, expires: Date.now() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  lookup(attempt: string, clientAddress: string): RefusalLookup {
    const now = Date.now();
    const window = this.#lookups.get(clientAddress);
    if (window === undefined || now - window.windowStart >= 60_000) {
      if (this.#lookups.size >= this.#maxEntries) this.#lookups.clear();
      this.#lookups.set(clientAddress, { windowStart: now, count: 1 });
    } else if (++window.count > this.#lookupsPerMinute) {
      return 'rate-limited';
    }
    const entry = this.#entries.get(attempt);
    if (entry === undefined) return 'unknown';
    if (entry.expires < now) {
      this.#entries.delete(attempt);
      return 'unknown';
    }
    return { found: { code: entry.code, status: entry.status } };
  }
}

/** The journal every server and adapter in this process records into, unless given another. */
export const defaultRefusalJournal = new RefusalJournal();

export interface LookupAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The answer to `GET /.well-known/wsgate/refusal?attempt=ID`, or undefined for other requests. */
export function refusalLookupAnswer(
  method: string,
  url: string,
  clientAddress: string,
  journal: RefusalJournal = defaultRefusalJournal,
): LookupAnswer | undefined {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  if (path !== REFUSAL_LOOKUP_PATH || (method !== 'GET' && method !== 'HEAD')) return undefined;
  const attempt =
    new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1)).get('attempt') ?? '';
  const result = ATTEMPT_ID.test(attempt) ? journal.lookup(attempt, clientAddress) : 'unknown';
  if (result === 'rate-limited') {
    return buildRefusal('WSG_RATE_LIMITED', {
      accept: 'application/json',
      detail: 'too many refusal lookups from this address; try again in a minute',
      headers: { 'Retry-After': '60' },
    });
  }
  if (result === 'unknown')
    return buildRefusal('WSG_ATTEMPT_UNKNOWN', { accept: 'application/json' });
  const entry = catalogue[result.found.code];
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: `${JSON.stringify({ code: result.found.code, status: result.found.status, title: entry.title, cause: entry.cause, fix: entry.fix })}\n`,
  };
}

/**
 * Answers the refusal lookup on an ordinary HTTP request. Returns false (writing nothing) for
 * any other request, so it can sit in front of an app's own handler or in a framework middleware.
 */
export function answerRefusalLookup(
  request: IncomingMessage,
  response: ServerResponse,
  journal: RefusalJournal = defaultRefusalJournal,
): boolean {
  const answer = refusalLookupAnswer(
    request.method ?? 'GET',
    request.url ?? '/',
    request.socket?.remoteAddress ?? '',
    journal,
  );
  if (answer === undefined) return false;
  response.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
  response.end(request.method === 'HEAD' ? undefined : answer.body);
  return true;
}
