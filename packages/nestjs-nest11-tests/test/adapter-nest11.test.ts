import { expect, it } from 'vitest';
import { adapterBehaviourSuite } from '../../nestjs/test/behaviour-suite.js';
import { nest11, require, version } from './nest11.js';

it('runs against NestJS 11 (CommonJS) and the CommonJS build of @wsgate/nestjs', () => {
  expect(version).toMatch(/^11\./);
  expect(require.resolve('@nestjs/websockets')).toContain('nestjs-nest11-tests/node_modules');
  expect(require.resolve('@nestjs/platform-fastify')).toContain('nestjs-nest11-tests/node_modules');
  expect(require.resolve('@wsgate/nestjs')).toMatch(/packages\/nestjs\/dist\/cjs\/index\.js$/);
});

adapterBehaviourSuite(nest11);
