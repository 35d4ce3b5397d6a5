/**
 * Summarises a V8 CPU profile (from `node --cpu-prof`): self time per function, and per area
 * (wsgate's code, Node's internals, garbage collection, idle). Used by `run.mjs --profile`, or
 * on its own:
 *   node profile.mjs <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function area(callFrame) {
  const { url, functionName } = callFrame;
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'program (native, outside JS)';
  if (url.includes('/packages/core/') || url.includes('/@wsgate/core/')) return 'wsgate core';
  if (url.includes('/@wsgate/') || /\/packages\/(express|koa|nestjs)\//.test(url))
    return 'wsgate adapter';
  if (url.includes('/node_modules/ws/')) return 'ws';
  if (url.includes('/bench/')) return 'bench server script';
  if (url.startsWith('node:')) return 'node internals';
  if (url === '') return 'native / builtins';
  return 'other';
}

function shortUrl(url) {
  const core = url.indexOf('/packages/core/');
  if (core !== -1) return url.slice(core + '/packages/'.length);
  const snapshot = url.indexOf('/.build/packages/node_modules/@wsgate/');
  if (snapshot !== -1) {
    const [name, ...rest] = url
      .slice(snapshot + '/.build/packages/node_modules/@wsgate/'.length)
      .split('/');
    return `${name}/dist/esm/${rest.join('/')}`;
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) return url.slice(modules + '/node_modules/'.length);
  return url.replace(/^file:\/\/.*\/bench\//, 'bench/');
}

/** Self time in ms per function and per area, sorted by time. */
export function summarizeProfile(path, top = 25) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (timeDeltas[i] ?? 0));
  }
  const byFunction = new Map();
  const byArea = new Map();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id).callFrame;
    const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const name = area(frame);
    byArea.set(name, (byArea.get(name) ?? 0) + us);
    totalUs += us;
  }
  // Inclusive time: a function's self time plus its callees', counted once per call path.
  const inclusiveUs = new Map();
  const parentOf = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parentOf.get(at)) {
      const frame = nodes.get(at).callFrame;
      if (!/\/@wsgate\/|\/packages\/|\/bench\//.test(frame.url)) continue;
      const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusiveUs.set(key, (inclusiveUs.get(key) ?? 0) + us);
    }
  }
  const sorted = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, ms: us / 1000, share: totalUs > 0 ? us / totalUs : 0 }));
  const busyUs = totalUs - (byArea.get('idle') ?? 0);
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    areas: sorted(byArea),
    functions: sorted(byFunction).slice(0, top),
    inclusive: sorted(inclusiveUs).slice(0, top),
  };
}

export function formatSummary(summary) {
  const out = [`total ${summary.totalMs.toFixed(0)} ms, busy ${summary.busyMs.toFixed(0)} ms`];
  out.push('  by area:');
  for (const row of summary.areas) {
    out.push(`    ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.name}`);
  }
  out.push('  top functions (self time):');
  for (const row of summary.functions) {
    out.push(`    ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.name}`);
  }
  out.push('  wsgate and bench functions (inclusive time: with what they call):');
  for (const row of summary.inclusive) {
    out.push(`    ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.name}`);
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: node profile.mjs <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(formatSummary(summarizeProfile(file, Number(top ?? 25))));
}
