import type { IncomingMessage, ServerResponse } from 'node:http';
import { catalogue, type HandshakeCode } from '../errors/catalogue.js';
import { buildRefusal } from '../errors/http-refusal.js';
import type { HandshakeRequest } from './handshake-request.js';
import { clientKeyOf, KeyedRateLimit, type MonotonicClock, monotonicClock } from './rate-limit.js';

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
  /** Attempts remembered at most; past it the oldest go first. */
  readonly maxEntries?: number;
  /**
   * Attempts remembered at most per client (an IPv4 address, an IPv6 /64); past it that
   * client's own oldest go, so that one client cannot push out the others' entries.
   */
  readonly maxEntriesPerAddress?: number;
  /** How long a refusal can be looked up. */
  readonly ttlMs?: number;
  /** Lookups per client per minute: a burst of that many, then one every minute / that many. */
  readonly lookupsPerMinute?: number;
  /**
   * A request header your reverse proxy sets to the client's address (e.g. `x-forwarded-for`,
   * whose last value is taken: the one the nearest proxy added). Both recording and lookups then
   * count clients by it rather than by the TCP peer, which behind a proxy is the proxy for
   * everyone. Off by default: without a proxy that sets it, a client could send it itself.
   */
  readonly clientAddressHeader?: string;
  /** Milliseconds on a monotonic clock (`performance.now`); tests pass their own. */
  readonly clock?: MonotonicClock;
}

export type RefusalLookup = { readonly found: RecordedRefusal } | 'unknown' | 'rate-limited';

export const DEFAULT_REFUSAL_ENTRIES = 10_000;
/** An honest page looks up its latest attempt right after it fails; 64 covers any retry loop. */
export const DEFAULT_REFUSALS_PER_ADDRESS = 64;
export const DEFAULT_REFUSAL_TTL_MS = 60_000;
export const DEFAULT_LOOKUPS_PER_MINUTE = 60;

interface Entry extends RecordedRefusal {
  readonly expires: number;
  readonly client: string;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Browsers hide a failed handshake's HTTP status from pages (they only see close code 1006).
 * A page that tags its attempt with a random id can ask afterwards why it was refused. Only the
 * catalogue code and status are kept — nothing from the request — for a short, bounded time.
 * An entry is written once (a later refusal of the same id, from anyone, changes nothing), each
 * client keeps a bounded share, and lookups are rate-limited per client.
 */
export class RefusalJournal {
  /** In the order recorded, so also by expiry (the TTL is the same for all). */
  readonly #entries = new Map<string, Entry>();
  /** Each client's attempts, oldest first. */
  readonly #byClient = new Map<string, string[]>();
  readonly #lookups: KeyedRateLimit;
  readonly #maxEntries: number;
  readonly #maxEntriesPerAddress: number;
  readonly #ttlMs: number;
  readonly #clock: MonotonicClock;
  readonly #clientAddressHeader: string | undefined;

  constructor(options: RefusalJournalOptions = {}) {
    this.#maxEntries = options.maxEntries ?? DEFAULT_REFUSAL_ENTRIES;
    this.#maxEntriesPerAddress = options.maxEntriesPerAddress ?? DEFAULT_REFUSALS_PER_ADDRESS;
    this.#ttlMs = options.ttlMs ?? DEFAULT_REFUSAL_TTL_MS;
    this.#clock = options.clock ?? monotonicClock;
    this.#clientAddressHeader = options.clientAddressHeader?.toLowerCase();
    this.#lookups = new KeyedRateLimit(
      options.lookupsPerMinute ?? DEFAULT_LOOKUPS_PER_MINUTE,
      60_000,
      this.#maxEntries,
    );
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The address a client is counted by: the `clientAddressHeader` value when configured and
   * present, else the TCP peer's `address`.
   */
  clientAddress(address: string, headers?: Headers): string {
    if (this.#clientAddressHeader === undefined || headers === undefined) return address;
    const value = headers[this.#clientAddressHeader];
    const last = (Array.isArray(value) ? value[value.length - 1] : value)?.split(',').pop()?.trim();
    return last === undefined || last === '' ? address : last;
  }

  /** Records a refusal for the request's attempt id, if it carries a well-formed, new one. */
  recordFor(request: HandshakeRequest, code: HandshakeCode, status: number): void {
    const attempt = request.query.get(ATTEMPT_PARAMETER);
    if (attempt === null || !ATTEMPT_ID.test(attempt)) return;
    const now = this.#clock();
    this.#forgetExpired(now);
    if (this.#entries.has(attempt)) return;
    const client = clientKeyOf(this.clientAddress(request.remoteAddress ?? '', request.headers));
    let attempts = this.#byClient.get(client);
    if (attempts === undefined) {
      attempts = [];
      this.#byClient.set(client, attempts);
    }
    if (attempts.length >= this.#maxEntriesPerAddress) {
      const ownOldest = attempts.shift();
      if (ownOldest !== undefined) this.#entries.delete(ownOldest);
    }
    attempts.push(attempt);
    this.#entries.set(attempt, { code, status, expires: now + this.#ttlMs, client });
    while (this.#entries.size > this.#maxEntries) this.#forgetOldest();
  }

  lookup(attempt: string, clientAddress: string): RefusalLookup {
    const now = this.#clock();
    if (!this.#lookups.take(clientKeyOf(clientAddress), now)) return 'rate-limited';
    this.#forgetExpired(now);
    const entry = this.#entries.get(attempt);
    if (entry === undefined) return 'unknown';
    return { found: { code: entry.code, status: entry.status } };
  }

  #forgetExpired(now: number): void {
    for (const entry of this.#entries.values()) {
      if (entry.expires >= now) return;
      this.#forgetOldest();
    }
  }

  /** The oldest entry is also the oldest of its client's. */
  #forgetOldest(): void {
    const [attempt, entry] = this.#entries.entries().next().value as [string, Entry];
    this.#entries.delete(attempt);
    const attempts = this.#byClient.get(entry.client);
    attempts?.shift();
    if (attempts?.length === 0) this.#byClient.delete(entry.client);
  }
}

/** The journal every server and adapter in this process records into, unless given another. */
export const defaultRefusalJournal = new RefusalJournal();

export interface LookupAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The answer to `GET /.well-known/wsgate/refusal?attempt=ID`, or undefined for other requests.
 * `clientAddress` is the TCP peer (or the address a framework derived from a trusted proxy);
 * `requestHeaders` give the journal's `clientAddressHeader`, when it names one.
 */
export function refusalLookupAnswer(
  method: string,
  url: string,
  clientAddress: string,
  journal: RefusalJournal = defaultRefusalJournal,
  requestHeaders?: Readonly<Record<string, string | string[] | undefined>>,
): LookupAnswer | undefined {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  if (path !== REFUSAL_LOOKUP_PATH || (method !== 'GET' && method !== 'HEAD')) return undefined;
  const attempt =
    new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1)).get('attempt') ?? '';
  const client = journal.clientAddress(clientAddress, requestHeaders);
  const result = ATTEMPT_ID.test(attempt) ? journal.lookup(attempt, client) : 'unknown';
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
  clientAddress: string = request.socket?.remoteAddress ?? '',
): boolean {
  const answer = refusalLookupAnswer(
    request.method ?? 'GET',
    request.url ?? '/',
    clientAddress,
    journal,
    request.headers,
  );
  if (answer === undefined) return false;
  response.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
  response.end(request.method === 'HEAD' ? undefined : answer.body);
  return true;
}
