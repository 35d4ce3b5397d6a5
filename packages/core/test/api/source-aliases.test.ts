import * as core from '@wsgate/core';
import * as coreAdapter from '@wsgate/core/adapter';
import * as coreProtocol from '@wsgate/core/protocol';
import { describe, expect, test } from 'vitest';
import * as adapterSource from '../../src/adapter/index.js';
import * as coreSource from '../../src/index.js';
import * as protocolSource from '../../src/protocol/index.js';

// vitest.shared.ts maps each workspace package's entry points to their sources: the very same
// module objects, so adapter, app and test-kit tests need no build of core and never mix a stale
// build with fresh sources.
describe('tests import @wsgate/core from its TypeScript sources', () => {
  test.each([
    ['@wsgate/core', core, coreSource],
    ['@wsgate/core/adapter', coreAdapter, adapterSource],
    ['@wsgate/core/protocol', coreProtocol, protocolSource],
  ] as const)('%s is the module under src/', (_name, entry, source) => {
    expect(Object.keys(entry).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(entry)) {
      expect(value, name).toBe((source as Record<string, unknown>)[name]);
    }
  });
});
