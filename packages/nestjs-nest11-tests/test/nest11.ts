import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { NestUnderTest } from '../../nestjs/test/behaviour-suite.js';

// NestJS 11 is CommonJS: load it, and the CommonJS build of @wsgate/nestjs, as its users do.
// npm installs NestJS 11 in this package's node_modules, beside the root's NestJS 12.
export const require = createRequire(import.meta.url);
require('reflect-metadata');
export const { version } = require('@nestjs/core/package.json') as { version: string };

/** NestJS 11 (CommonJS) and the CommonJS build of the adapter. */
export const nest11 = {
  label: `NestJS ${version} (CommonJS)`,
  common: require('@nestjs/common'),
  websockets: require('@nestjs/websockets'),
  testing: require('@nestjs/testing'),
  adapter: require('@wsgate/nestjs'),
  core: require('@wsgate/core'),
  major: 11,
  process: {
    packageDir: fileURLToPath(new URL('..', import.meta.url)),
    adapterEntry: require.resolve('@wsgate/nestjs'),
  },
} as NestUnderTest;
