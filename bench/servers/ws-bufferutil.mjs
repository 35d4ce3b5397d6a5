import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { start as startWs } from './ws.mjs';

const require = createRequire(import.meta.url);

/**
 * ws 8 with its native masking helper. bufferutil ships prebuilt binaries that node-gyp-build
 * loads at run time, so it works although npm skips its install script; if the binary does not
 * load, bufferutil silently falls back to JavaScript, which this column must not measure.
 */
export async function start(options) {
  if (process.env.WS_NO_BUFFER_UTIL) throw new Error('WS_NO_BUFFER_UTIL is set');
  const bufferutil = require('bufferutil');
  const fallback = require('bufferutil/fallback');
  if (bufferutil.mask === fallback.mask) {
    throw new Error('bufferutil fell back to JavaScript: its native binary did not load');
  }
  const entry = require.resolve('bufferutil');
  const binary = createRequire(entry)('node-gyp-build').resolve(dirname(entry));
  const handle = await startWs(options);
  return { ...handle, info: { ...handle.info, bufferutil: binary } };
}
