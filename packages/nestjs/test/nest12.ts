import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as common from '@nestjs/common';
import * as testing from '@nestjs/testing';
import * as websockets from '@nestjs/websockets';
import * as core from '@wsgate/core';
import * as adapter from '../src/index.js';
import type { NestUnderTest } from './behaviour-suite.js';

const require = createRequire(import.meta.url);
export const { version } = require('@nestjs/core/package.json') as { version: string };

/** NestJS 12 (ESM) and the adapter's source, for the behaviour suite and the contract. */
export const nest12: NestUnderTest = {
  label: `NestJS ${version} (ESM)`,
  common,
  websockets,
  testing,
  adapter,
  core,
  major: 12,
  process: {
    packageDir: fileURLToPath(new URL('..', import.meta.url)),
    adapterEntry: fileURLToPath(new URL('../dist/esm/index.js', import.meta.url)),
  },
};
