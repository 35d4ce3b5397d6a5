import { describe, expect, it } from 'vitest';
import { corsOriginPolicy } from '../../src/adapter/index.js';
import type { OriginPolicy } from '../../src/index.js';

function allows(policy: OriginPolicy | undefined, origin: string): boolean {
  if (policy === undefined) return true;
  if (typeof policy === 'function') return policy(origin);
  return policy.includes(origin);
}

describe("cors.origin as an Origin allow-list (socket.io's and the cors package's setting)", () => {
  it('allows every Origin for true, "*" or nothing', () => {
    expect(corsOriginPolicy(undefined)).toBeUndefined();
    expect(corsOriginPolicy(true)).toBeUndefined();
    expect(corsOriginPolicy('*')).toBeUndefined();
  });

  it('allows the named origins: a string, a RegExp, a list of both', () => {
    expect(corsOriginPolicy('https://app.example')).toEqual(['https://app.example']);
    const pattern = corsOriginPolicy(/\.example$/g);
    expect(allows(pattern, 'https://a.example')).toBe(true);
    // A global RegExp keeps no state between handshakes.
    expect(allows(pattern, 'https://b.example')).toBe(true);
    expect(allows(pattern, 'https://evil.test')).toBe(false);
    const list = corsOriginPolicy(['https://one.test', /^https:\/\/two\./]);
    expect(allows(list, 'https://one.test')).toBe(true);
    expect(allows(list, 'https://two.test')).toBe(true);
    expect(allows(list, 'https://three.test')).toBe(false);
  });

  it('keeps a predicate as it is', () => {
    const predicate = (origin: string) => origin.endsWith('.test');
    expect(corsOriginPolicy(predicate)).toBe(predicate);
  });

  it('refuses false, which names no origin, and a callback (origin, done)', () => {
    expect(() => corsOriginPolicy(false)).toThrow(/origins: \[\] to refuse every Origin/);
    const callback = ((_origin: string, _done: unknown) => true) as (origin: string) => boolean;
    expect(() => corsOriginPolicy(callback)).toThrow(/pass a predicate \(origin\) => boolean/);
  });
});
