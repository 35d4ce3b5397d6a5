import 'reflect-metadata';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as common from '@nestjs/common';
import * as testing from '@nestjs/testing';
import * as websockets from '@nestjs/websockets';
import * as core from '@wsgate/core';
import { expect, it } from 'vitest';
import * as adapter from '../src/index.js';
import { adapterBehaviourSuite } from './behaviour-suite.js';

const require = createRequire(import.meta.url);
const { version } = require('@nestjs/core/package.json') as { version: string };

it('runs against NestJS 12, which is ESM only', () => {
  expect(version).toMatch(/^12\./);
  expect(require('@nestjs/common/package.json').type).toBe('module');
});

adapterBehaviourSuite({
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
});
