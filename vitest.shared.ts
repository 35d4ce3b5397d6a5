import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const repoRoot = dirname(fileURLToPath(import.meta.url));

/** Workspace packages whose tests, and their neighbours' tests, run against their TypeScript sources. */
const SOURCE_PACKAGES = ['core', 'express', 'koa', 'nestjs', 'redis', 'demo-kit'];

/**
 * `@wsgate/core/adapter` → packages/core/src/adapter/index.ts, and so on for each entry point a
 * package exports: the source of the file its ESM build points at. Tests in this repo then need
 * no build of the packages they import; the published manifests are untouched, so nothing a
 * consumer resolves can point at a source file the tarball does not hold. Programs a test starts
 * in another process (`node dist/main.js`, the CLI) still run the build.
 */
function sourceAliases(): Array<{ find: RegExp; replacement: string }> {
  const aliases: Array<{ find: RegExp; replacement: string }> = [];
  for (const folder of SOURCE_PACKAGES) {
    const dir = join(repoRoot, 'packages', folder);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      exports: Record<string, string | { import?: { default?: string } }>;
    };
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') continue;
      const built = target.import?.default;
      const match = built === undefined ? null : /^\.\/dist\/esm\/(.+)\.js$/.exec(built);
      if (match === null) continue;
      const source = join(dir, 'src', `${match[1]}.ts`);
      if (!existsSync(source)) continue;
      const specifier = `${manifest.name}${subpath.slice(1)}`.replace(/[/.]/g, '\\$&');
      aliases.push({ find: new RegExp(`^${specifier}$`), replacement: source });
    }
  }
  return aliases;
}

// Shared defaults for every Vitest project. A package that adds its own vitest.config.ts should
// use: `export default mergeConfig(shared, defineProject({ test: { ... } }))`.
export default defineConfig({
  resolve: { alias: sourceAliases() },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
