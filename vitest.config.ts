import { existsSync, readdirSync } from 'node:fs';
import { defineConfig, mergeConfig, type TestProjectConfiguration } from 'vitest/config';
import shared from './vitest.shared.ts';

// One Vitest project per folder in packages/* and apps/*. A folder with its own
// vitest.config.ts uses it (merge in ./vitest.shared.ts there); otherwise it inherits the
// shared defaults: only test/**/*.test.ts, 20 s test and hook timeouts.
function projects(parent: string): TestProjectConfiguration[] {
  if (!existsSync(parent)) return [];
  return readdirSync(parent, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`${parent}/${d.name}/package.json`))
    .map((d) => {
      const dir = `${parent}/${d.name}`;
      if (existsSync(`${dir}/vitest.config.ts`)) return `${dir}/vitest.config.ts`;
      return { extends: true, root: dir, test: { name: dir } };
    });
}

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      projects: [...projects('packages'), ...projects('apps'), 'conformance'],
    },
  }),
);
