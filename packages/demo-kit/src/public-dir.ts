import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The folder holding the demo page (index.html, app.js, style.css), resolved from the app's own
 * module (`import.meta.url` or `__filename`), so it works from ESM and CommonJS alike.
 */
export function demoPublicDir(from: string | URL): string {
  const require = createRequire(from);
  return join(dirname(require.resolve('@wsgate/demo-kit/package.json')), 'public');
}
