import { defineConfig } from 'vitest/config';

// Shared defaults for every Vitest project. A package that adds its own vitest.config.ts should
// use: `export default mergeConfig(shared, defineProject({ test: { ... } }))`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
