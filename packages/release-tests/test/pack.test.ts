import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicPackages, repoRoot, runOk, userEnv } from './helpers.js';

interface PackResult {
  readonly name: string;
  readonly files: readonly { readonly path: string }[];
}

interface Conditions {
  readonly types: string;
  readonly default: string;
}

/** What a tarball may hold besides the build: npm's package.json and the three documents. */
const DOCUMENTS = ['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json'];
/** The build: JavaScript, declarations, and the package.json that sets each folder's module type. */
const BUILD_FILE = /^dist\/(esm|cjs)\/(.+\.js|.+\.d\.ts|package\.json)$/;

describe.each(publicPackages().map((pkg) => [pkg.manifest.name, pkg] as const))(
  'npm pack %s',
  (name, { dir, manifest }) => {
    const packageDir = join(repoRoot, dir);

    it('holds the built JavaScript and types, README, LICENSE and CHANGELOG, and nothing else', async () => {
      expect(existsSync(join(packageDir, 'dist')), `${dir} is not built: npm run build`).toBe(true);
      const { stdout } = await runOk('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: packageDir,
        env: userEnv({}),
        timeoutMs: 60_000,
      });
      const [pack] = JSON.parse(stdout) as PackResult[];
      expect(pack?.name).toBe(name);
      const files = (pack?.files ?? []).map((file) => file.path).sort();

      const bin = Object.values((manifest.bin ?? {}) as Record<string, string>).map((path) =>
        path.replace(/^\.\//, ''),
      );
      const stray = files.filter(
        (file) => !DOCUMENTS.includes(file) && !bin.includes(file) && !BUILD_FILE.test(file),
      );
      expect(stray, 'files outside the build and the documents').toEqual([]);
      expect(files).toEqual(expect.arrayContaining([...DOCUMENTS, ...bin]));

      // Both builds, each with its folder's module type, and every file the manifest points at:
      // each entry point's code and types for import and require, and typesVersions' targets.
      const entries = Object.values(manifest.exports as Record<string, unknown>).filter(
        (target): target is Record<'import' | 'require', Conditions> => typeof target === 'object',
      );
      const targets = entries.flatMap((entry) => [
        entry.import.types,
        entry.import.default,
        entry.require.types,
        entry.require.default,
      ]);
      const typesVersions = Object.values(
        (manifest.typesVersions ?? {}) as Record<string, Record<string, string[]>>,
      ).flatMap((paths) => Object.values(paths).flat());
      for (const target of [
        ...targets,
        ...typesVersions,
        'dist/esm/package.json',
        'dist/cjs/package.json',
      ]) {
        expect(files, target).toContain(target.replace(/^\.\//, ''));
      }
      const esm = files.filter((file) => file.startsWith('dist/esm/')).length;
      const cjs = files.filter((file) => file.startsWith('dist/cjs/')).length;
      expect(esm).toBe(cjs);
    });

    it('has nothing for npm to correct when it publishes (npm pkg fix changes nothing)', async () => {
      // npm publish rewrites what `npm pkg fix` would (a "./" before a bin path, a repository
      // URL in another form) and warns about it; check a copy so the real file stays as it is.
      const dir = mkdtempSync(join(tmpdir(), 'wsgate-pkg-fix-'));
      try {
        writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
        await runOk('npm', ['pkg', 'fix'], { cwd: dir, env: userEnv({}), timeoutMs: 60_000 });
        expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toEqual(manifest);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
