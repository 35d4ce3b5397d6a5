import * as express from '@wsgate/express';
import { expect, test } from 'vitest';
import * as expressSource from '../src/index.js';

// vitest.shared.ts maps @wsgate/express to its source, as it does @wsgate/core (whose test says
// why): the demo apps' tests import the adapter without a build.
test('@wsgate/express is the module under src/', () => {
  expect(Object.keys(express).length).toBeGreaterThan(0);
  for (const [name, value] of Object.entries(express)) {
    expect(value, name).toBe((expressSource as Record<string, unknown>)[name]);
  }
});
