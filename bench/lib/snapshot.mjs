/** The builds of the wsgate packages a benchmark measures, copied once when it starts. */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The package's entry points (`.`, `./adapter`...), pointing into the copy of its ESM build. */
function esmExports(name) {
  const require = createRequire(import.meta.url);
  const { exports } = require(`@wsgate/${name}/package.json`);
  const entries = {};
  for (const [subpath, target] of Object.entries(exports)) {
    const file = target?.import?.default;
    if (typeof file === 'string') entries[subpath] = file.replace('./dist/esm/', './');
  }
  return entries;
}

/**
 * Copies the ESM builds of the wsgate packages the servers load (core, adapters) into a `node_modules` folder of their
 * own, so that the whole run measures one build even if a package is rebuilt meanwhile (an
 * adapter's `import '@wsgate/core'` finds the copy beside it). Returns that folder and a hash of
 * core's build and of all of them.
 */
export function snapshotPackages(buildDir, names) {
  const require = createRequire(import.meta.url);
  const root = join(buildDir, 'packages', 'node_modules');
  rmSync(join(buildDir, 'packages'), { recursive: true, force: true });
  rmSync(join(buildDir, 'wsgate-core'), { recursive: true, force: true });
  const all = createHash('sha256');
  let coreHash = '';
  for (const name of names) {
    const source = join(dirname(require.resolve(`@wsgate/${name}/package.json`)), 'dist', 'esm');
    if (!existsSync(join(source, 'index.js'))) {
      throw new Error(`${source}/index.js is missing: build it first (npm run build)`);
    }
    const target = join(root, '@wsgate', name);
    cpSync(source, target, { recursive: true, filter: (path) => !path.endsWith('.map') });
    writeFileSync(
      join(target, 'package.json'),
      `${JSON.stringify({ name: `@wsgate/${name}`, type: 'module', exports: esmExports(name) })}\n`,
    );
    const hash = createHash('sha256');
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
        a.name.localeCompare(b.name),
      )) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.js')) {
          const bytes = readFileSync(path);
          hash.update(entry.name).update(bytes);
          all.update(`${name}/${entry.name}`).update(bytes);
        }
      }
    };
    walk(target);
    if (name === 'core') coreHash = hash.digest('hex').slice(0, 12);
  }
  return { root, coreHash, packagesHash: all.digest('hex').slice(0, 12) };
}
