import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { roundMs } from '../exchange-log.js';

export type Resolution =
  | {
      readonly ok: true;
      readonly addresses: readonly { address: string; family: number }[];
      readonly ms: number;
    }
  | { readonly ok: false; readonly error: NodeJS.ErrnoException | undefined; readonly ms: number };

/** Resolves a host name with `lookup` (dns.lookup by default), all addresses, within `timeoutMs`. */
export function resolveHost(
  host: string,
  lookup: LookupFunction | undefined,
  timeoutMs: number,
): Promise<Resolution> {
  const started = performance.now();
  const elapsed = (): number => roundMs(performance.now() - started);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      const error: NodeJS.ErrnoException = new Error(`no answer within ${timeoutMs} ms`);
      error.code = 'ETIMEOUT';
      resolve({ ok: false, error, ms: elapsed() });
    }, timeoutMs);
    const done = (
      error: NodeJS.ErrnoException | null,
      address: string | readonly { address: string; family: number }[],
      family?: number,
    ): void => {
      clearTimeout(timer);
      if (error) {
        resolve({ ok: false, error, ms: elapsed() });
        return;
      }
      const addresses =
        typeof address === 'string' ? [{ address, family: family ?? isIP(address) }] : [...address];
      if (addresses.length === 0) resolve({ ok: false, error: undefined, ms: elapsed() });
      else resolve({ ok: true, addresses, ms: elapsed() });
    };
    try {
      (lookup ?? (dnsLookup as unknown as LookupFunction))(host, { all: true }, done as never);
    } catch (error) {
      done(error as NodeJS.ErrnoException, []);
    }
  });
}
