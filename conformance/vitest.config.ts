import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../vitest.shared.ts';

// The suite runs ~700 cases against a real server, a few big ones (16 MiB): one test per
// category, each with room for its share of the 90 s budget.
export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: 'conformance',
      include: ['conformance.test.ts'],
      testTimeout: 90_000,
      hookTimeout: 20_000,
    },
  }),
);
