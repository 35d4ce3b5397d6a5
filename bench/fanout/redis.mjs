/**
 * A real redis-server for one measurement of the two-node scenario: no persistence, on a free
 * loopback port, pinned like the servers, killed by its PID (the bench runs plain Node, so it
 * cannot load test-kit's TypeScript `startRedis`; this is the same recipe).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { track, wrapped } from '../lib/processes.mjs';

function freePort() {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis({ core, startTimeoutMs = 10_000 }) {
  const port = await freePort();
  const [command, args] = wrapped(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    core,
  );
  const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      return;
    }
    await exited;
  };
  await new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`redis-server did not start within ${startTimeoutMs} ms: ${output}`));
    }, startTimeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      if (output.length < 8_000) output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code ?? signal}): ${output}`));
    });
  }).catch(async (error) => {
    await kill();
    throw error;
  });
  child.stdout.resume();
  return { pid: child.pid, port, url: `redis://127.0.0.1:${port}`, kill };
}
