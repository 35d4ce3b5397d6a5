import { catalogue, type ErrorCode, isErrorCode } from '@wsgate/core';
import { closingCodesWithCloseCode, codeFromCloseReason } from '@wsgate/core/adapter';
import type { Diagnosis, StepName } from './types.js';

export interface DiagnosisParts {
  readonly summary: string;
  readonly observed?: readonly string[];
  /** Causes for this occurrence, most likely first; the catalogue's cause is added last. */
  readonly causes?: readonly string[];
  /** Fixes for this occurrence, most useful first; the catalogue's fix is added last. */
  readonly fix?: readonly string[];
  readonly serverCode?: ErrorCode | undefined;
}

/** A diagnosis for a catalogue code: the occurrence's specifics first, then the catalogue's. */
export function diagnose(step: StepName, code: ErrorCode, parts: DiagnosisParts): Diagnosis {
  const entry = catalogue[code];
  const causes = [...(parts.causes ?? [])];
  if (!causes.includes(entry.cause)) causes.push(entry.cause);
  const fix = [...(parts.fix ?? [])];
  if (!fix.includes(entry.fix)) fix.push(entry.fix);
  return {
    step,
    code,
    title: entry.title,
    summary: parts.summary,
    observed: parts.observed ?? [],
    causes: dedupe(causes),
    fix: dedupe(fix),
    ...(parts.serverCode === undefined ? {} : { serverCode: parts.serverCode }),
  };
}

function dedupe(lines: readonly string[]): string[] {
  return [...new Set(lines)];
}

/** A line naming a catalogue code with its title, for causes and observations. */
export function describeCode(code: ErrorCode): string {
  return `${code}: ${catalogue[code].title}`;
}

/**
 * The doctor's reverse index, derived from the catalogue: the codes a wsgate peer closes with
 * for a given close code, so that a bare "1009" can be read as "one of these".
 */
export function codesForCloseCode(closeCode: number): ErrorCode[] {
  return closingCodesWithCloseCode(closeCode);
}

/** The wsgate code that starts a close reason, if any. */
export function closeReasonCode(reason: string): ErrorCode | undefined {
  return codeFromCloseReason(reason);
}

/** The catalogue code a wsgate server named in X-WSGate-Error or its body. */
export function serverCodeOf(
  headers: Readonly<Record<string, string>>,
  body: string,
): ErrorCode | undefined {
  const header = headers['x-wsgate-error']?.trim();
  if (isErrorCode(header)) return header;
  try {
    const json = JSON.parse(body) as { error?: { code?: unknown } };
    if (isErrorCode(json.error?.code)) return json.error?.code;
  } catch {
    // not JSON: look for a code in the text below
  }
  const match = /\b(WSG_[A-Z0-9_]+)\b/.exec(body);
  return isErrorCode(match?.[1]) ? match?.[1] : undefined;
}

/**
 * The detail line of a wsgate refusal body: between the title line and "Cause:" in the text
 * form, `error.detail` in the JSON form.
 */
export function serverDetailOf(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { error?: { detail?: unknown } };
    if (typeof json.error?.detail === 'string') return json.error.detail;
  } catch {
    // text form
  }
  const lines = body.split('\n');
  const causeAt = lines.findIndex((line) => line.startsWith('Cause: '));
  if (causeAt < 3 || !/: WSG_[A-Z0-9_]+$/.test(lines[0] ?? '')) return undefined;
  const detail = lines.slice(2, causeAt).join(' ').trim();
  return detail === '' ? undefined : detail;
}

/** What each close code means (RFC 6455 §7.4.1 and the IANA registry), for a person. */
export function closeCodeMeaning(code: number): string {
  const meanings: Readonly<Record<number, string>> = {
    1000: 'normal closure',
    1001: 'going away (the server is shutting down or the endpoint is leaving)',
    1002: 'protocol error: the server received a frame that breaks RFC 6455',
    1003: 'unsupported data: the server does not accept this type of message (text or binary)',
    1005: 'no status code: the close frame carried no code',
    1006: 'abnormal closure: the connection closed without a close frame',
    1007: 'invalid payload data: a message was not valid for its type (e.g. text that is not UTF-8)',
    1008: 'policy violation: a message or the connection broke a rule of the application',
    1009: 'message too big: a message is larger than the server accepts',
    1010: 'mandatory extension: the client required an extension the server did not accept',
    1011: 'internal error: the server failed while handling a message',
    1012: 'service restart: the server is restarting',
    1013: 'try again later: the server is overloaded or a peer is too slow',
    1014: 'bad gateway: a proxy got an invalid answer from the server behind it',
    1015: 'TLS handshake failure (never sent on the wire)',
  };
  const known = meanings[code];
  if (known !== undefined) return known;
  if (code >= 3000 && code <= 3999) return 'a code registered by a library or framework';
  if (code >= 4000 && code <= 4999)
    return "an application's own code: its meaning is the application's";
  return 'not a valid close code (RFC 6455 §7.4)';
}
