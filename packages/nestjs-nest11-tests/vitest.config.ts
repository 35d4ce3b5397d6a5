import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';
import { decoratorMetadata } from '../nestjs/vitest.config.ts';

export default mergeConfig(
  shared,
  defineProject({
    plugins: [decoratorMetadata()],
    oxc: false,
    test: { name: 'packages/nestjs-nest11-tests' },
  }),
);
