import { catalogue, type ErrorCode } from '@wsgate/core';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { waitFor } from '../net.js';

/**
 * What Chromium itself reports of each WebSocket handshake of the page that failed (its network
 * layer sees the status; the page's script sees only close code 1006). Call before `goto`.
 */
export function handshakeFailures(page: Page): { readonly url: string; readonly error: string }[] {
  const failures: { url: string; error: string }[] = [];
  page.on('websocket', (socket) => {
    socket.on('socketerror', (error) => failures.push({ url: socket.url(), error }));
  });
  return failures;
}

/**
 * `seen` is Chromium's own words: "Unexpected response code: 403", or "HTTP Authentication
 * failed" for a 401 whose challenge (Bearer) it has no credentials for.
 */
export async function expectChromiumSaw(
  failures: readonly { readonly url: string; readonly error: string }[],
  urlPart: string,
  seen: string,
): Promise<void> {
  const failure = () => failures.find((f) => f.url.includes(urlPart));
  await waitFor(() => failure() !== undefined, {
    timeoutMs: 5_000,
    what: `Chromium to report the failed handshake to ${urlPart} (so far: ${JSON.stringify(failures)})`,
  });
  expect(failure()?.error).toContain(seen);
}

/**
 * The "what went wrong" panel explains the failed attempt to `path` with `code`, the status the
 * server answered, and the catalogue's own cause and fix (within 5 s: it never hangs).
 */
export async function expectDiagnosis(
  page: Page,
  path: string,
  code: ErrorCode,
  status: number,
): Promise<void> {
  await page
    .getByTestId('diagnosis-result')
    .filter({ hasText: `connection to ${path} failed` })
    .filter({ hasText: `the server answered ${status}` })
    .waitFor({ timeout: 5_000 });
  expect(await page.getByTestId('diagnosis-code').textContent()).toBe(code);
  expect(await page.getByTestId('diagnosis-cause').textContent()).toBe(catalogue[code].cause);
  expect(await page.getByTestId('diagnosis-fix').textContent()).toBe(catalogue[code].fix);
}
