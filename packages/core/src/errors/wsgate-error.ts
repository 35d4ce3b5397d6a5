import { type CatalogueEntry, catalogue, type ErrorCode, type ErrorKind } from './catalogue.js';

export interface WsgateErrorOptions {
  /** What exactly was observed, for this occurrence (safe to show to the peer). */
  readonly detail?: string;
  /** The underlying error (never sent to a peer). */
  readonly cause?: unknown;
}

/** Told of every WsgateError made (observability/diagnostics.ts publishes them). */
let errorObserver: ((error: WsgateError) => void) | undefined;

/** For core only: sets the one observer of new WsgateErrors (errors/ stays free of node: imports). */
export function observeWsgateErrors(observer: (error: WsgateError) => void): void {
  errorObserver = observer;
}

/** An error with a stable catalogue code, the status or close code it answers with, and a fix. */
export class WsgateError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly status: number | undefined;
  readonly closeCode: number | undefined;
  readonly title: string;
  readonly fix: string;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, options: WsgateErrorOptions = {}) {
    const entry: CatalogueEntry = catalogue[code];
    super(
      `${code}: ${entry.title}${options.detail ? ` (${options.detail})` : ''}. Fix: ${entry.fix}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'WsgateError';
    this.code = code;
    this.kind = entry.kind;
    this.status = entry.kind === 'handshake' ? entry.status : undefined;
    this.closeCode =
      entry.kind === 'protocol' || entry.kind === 'lifecycle' ? entry.closeCode : undefined;
    this.title = entry.title;
    this.fix = entry.fix;
    this.detail = options.detail;
    errorObserver?.(this);
  }
}

export function isWsgateError(value: unknown): value is WsgateError {
  return value instanceof WsgateError;
}
