import { catalogue, isWsgateError } from '@wsgate/core';
import { parseWebSocketUrl, type WebSocketUrl } from '@wsgate/core/adapter';
import type { ProbeContext } from '../probe-context.js';
import type { Diagnosis } from '../types.js';

export type UrlCheck =
  | {
      readonly ok: true;
      readonly target: WebSocketUrl;
      /** The URL to probe, as ws:// or wss://. */
      readonly url: string;
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly diagnosis: Diagnosis };

const SCHEMES = ['ws', 'wss', 'http', 'https'] as const;
const MAPPED: Readonly<Record<string, string>> = { ws: 'ws', wss: 'wss', http: 'ws', https: 'wss' };

/** Levenshtein distance, for telling a typo ("htp", "wws") from another scheme ("ftp"). */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}

function nearestScheme(scheme: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of SCHEMES) {
    const distance = editDistance(scheme, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // One edit away, or two for the longer names ("htps", "wsss"); "ftp" is 2 from "http": not a typo.
  if (best === undefined) return undefined;
  return bestDistance <= 1 || (bestDistance === 2 && scheme.length >= 4) ? best : undefined;
}

function invalid(input: string, summary: string, suggestion?: string): UrlCheck {
  const entry = catalogue.WSG_URL_INVALID;
  return {
    ok: false,
    diagnosis: {
      step: 'url',
      code: 'WSG_URL_INVALID',
      title: entry.title,
      summary,
      observed: [`URL given: ${JSON.stringify(input)}`],
      causes: [summary],
      fix: [
        ...(suggestion === undefined
          ? []
          : [`Did you mean ${suggestion} ? Run: wsgate doctor ${suggestion}`]),
        entry.fix,
      ],
    },
  };
}

/**
 * The URL step: reads what was given the way a person meant it. http(s) is mapped to ws(s) with a
 * note; a missing path is noted; scheme typos (`ws:/host`, `wss//host`, `htp://`) and URLs
 * without a scheme are refused with the URL that was probably meant, rather than guessed at.
 */
export function checkUrl(given: string): UrlCheck {
  const notes: string[] = [];
  const input = given.trim();
  if (input !== given) notes.push('Spaces around the URL were removed.');
  if (input === '') return invalid(given, 'No URL was given.');

  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(input);
  if (schemeMatch === null) {
    const missingColon = /^(wss?|https?)(\/\/?|\\\\?)(.*)$/i.exec(input);
    if (missingColon !== null) {
      const scheme = MAPPED[(missingColon[1] as string).toLowerCase()] as string;
      const suggestion = `${scheme}://${missingColon[3]}`;
      return invalid(
        given,
        `The scheme has no colon: "${missingColon[1]}${missingColon[2]}" should be "${missingColon[1]}://".`,
        suggestion,
      );
    }
    return invalid(
      given,
      'The URL has no scheme: it must start with ws:// or wss://.',
      `ws://${input}`,
    );
  }
  const [, rawScheme = '', rest = ''] = schemeMatch;
  const scheme = rawScheme.toLowerCase();

  // "localhost:8080/chat" reads as scheme "localhost" with a port-like rest: no scheme was given.
  if (!(SCHEMES as readonly string[]).includes(scheme) && /^\d+(?:[/?#]|$)/.test(rest)) {
    return invalid(
      given,
      'The URL has no scheme: it must start with ws:// or wss://.',
      `ws://${input}`,
    );
  }
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    const near = nearestScheme(scheme);
    const target = rest.replace(/^[/\\]*/, '');
    if (near !== undefined) {
      const suggestion = `${MAPPED[near]}://${target}`;
      return invalid(
        given,
        `The scheme "${rawScheme}:" looks like a typo for "${near}:" (WebSocket URLs use ws:// or wss://).`,
        suggestion,
      );
    }
    return invalid(
      given,
      `The scheme "${rawScheme}:" is not a WebSocket scheme: use ws:// (plain) or wss:// (TLS).`,
    );
  }
  // WHATWG URL parsing forgives "ws:/host" and "ws:\\host"; a person who typed that may have
  // meant something else, so say it rather than probe a guess.
  const slashes = /^[/\\]*/.exec(rest)?.[0] ?? '';
  if (slashes !== '//') {
    const suggestion = `${MAPPED[scheme]}://${rest.slice(slashes.length)}`;
    const what =
      slashes === ''
        ? 'has no "//" after the colon'
        : slashes.includes('\\')
          ? `has backslashes ("${slashes}") where "//" belongs`
          : slashes.length === 1
            ? 'has only one slash after the colon'
            : `has ${slashes.length} slashes after the colon instead of 2`;
    return invalid(given, `The URL ${what}.`, suggestion);
  }

  let target: WebSocketUrl;
  try {
    target = parseWebSocketUrl(input);
  } catch (error) {
    const detail =
      isWsgateError(error) && error.detail !== undefined ? error.detail : String(error);
    return invalid(given, `The URL cannot be used: ${detail}.`);
  }
  if (target.host === '') return invalid(given, 'The URL has no host.');

  const secure = target.secure;
  const url = `${secure ? 'wss' : 'ws'}://${target.hostHeader}${target.resource}`;
  if (scheme === 'http' || scheme === 'https') {
    notes.push(
      `${scheme}:// was given: WebSocket URLs use ${secure ? 'wss' : 'ws'}:// (http → ws, https → wss); probing ${url}.`,
    );
  }
  const parsed = new URL(input);
  if (parsed.username !== '' || parsed.password !== '') {
    notes.push(
      'The URL carries user:password@, which WebSocket clients do not send; use --header "Authorization: Basic …" if the server expects it.',
    );
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(?:[?#]|$)/.test(input)) {
    notes.push(
      'The URL has no path, so the doctor asks for "/". WebSocket endpoints usually live at a path such as /ws or /socket: a 404 here may mean the path is missing.',
    );
  }
  return { ok: true, target, url, notes };
}

/** The url step: the URL to probe, or a usage error (exit 2) with the URL probably meant. */
export function runUrlStep(probe: ProbeContext): boolean {
  const result = checkUrl(probe.report.input);
  if (!result.ok) return probe.fail(result.diagnosis);
  probe.target = result.target;
  probe.report.url = result.url;
  probe.report.notes.push(...result.notes);
  return probe.pass('url', result.url);
}
