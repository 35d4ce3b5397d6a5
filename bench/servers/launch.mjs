/**
 * Runs one server of the registry as its own process:
 *   node launch.mjs <file> --mode echo|broadcast|fanout
 * Prints one JSON line `{"event":"listening",...}` on stdout once it listens. Over the IPC
 * channel (when the harness opened one) it answers `{ type: "memory" }` with the process's
 * memory after two full collections (start node with --expose-gc). SIGTERM exits cleanly, so
 * that `--cpu-prof` can write its profile.
 */
import { pathToFileURL } from 'node:url';

const [file, ...rest] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: node launch.mjs <server file> [--mode echo|broadcast|fanout]');
  process.exit(2);
}
const modeIndex = rest.indexOf('--mode');
const mode = modeIndex === -1 ? 'echo' : rest[modeIndex + 1];
if (mode !== 'echo' && mode !== 'broadcast' && mode !== 'fanout') {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}

const exit = () => process.exit(0);
process.on('SIGTERM', exit);
process.on('SIGINT', exit);
process.on('disconnect', exit);

const module = await import(pathToFileURL(new URL(file, import.meta.url).pathname).href);
const handle = await module.start({ host: '127.0.0.1', port: 0, mode });

process.on('message', (message) => {
  if (message?.type !== 'memory') return;
  globalThis.gc?.();
  globalThis.gc?.();
  const usage = process.memoryUsage();
  process.send?.({
    type: 'memory',
    gc: typeof globalThis.gc === 'function',
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    connections: handle.connections?.() ?? -1,
  });
});

process.stdout.write(
  `${JSON.stringify({ event: 'listening', port: handle.port, pid: process.pid, info: handle.info ?? {} })}\n`,
);
