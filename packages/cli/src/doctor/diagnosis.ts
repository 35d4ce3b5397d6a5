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
