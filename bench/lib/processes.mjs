/**
 * Child processes of the benchmark: servers (one per run) and the load generator. Each is
 * bounded in time and killed by its own PID, never by name.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const launchPath = fileURLToPath(new URL('../servers/launch.mjs', import.meta.url));

/** Every child we started and have not seen exit, so that a crash of the harness kills them. */
const live = new Set();

export function killAllStarted() {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

export function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function commandExists(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

/** The hard limit on open files (what `ulimit -n` may be raised to without privileges). */
export function hardFileLimit() {
  const out = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
}

export function softFileLimit() {
  const out = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
}

export function ephemeralPortCount() {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return high - low + 1;
  } catch {
    return 28_232;
  }
}

/** VmRSS of a process, in bytes. */
export function readRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Wraps a command so that it runs with the open-file limit raised to the hard limit and, when
 * `core` is given, pinned to that core. `exec` keeps the PID, so the PID we get is the program's.
 */
export function wrapped(command, args, core) {
  const pinned =
    core === undefined ? [command, ...args] : ['taskset', '-c', String(core), command, ...args];
  return ['sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...pinned]];
}

function lines(stream, onLine) {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      onLine(line);
      newline = buffered.indexOf('\n');
    }
  });
}

function parseJsonLine(line) {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Waits for a child to exit, up to `ms`; resolves with whether it did. */
function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopChild(child, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await exited(child, graceMs)) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
  await exited(child, 2_000);
}

/**
 * Starts one server of the registry as its own process and waits until it listens.
 * Resolves with `{ pid, port, info, memory(), stop() }`.
 */
export async function startServer(entry, mode, { core, nodeFlags = [], startTimeoutMs = 20_000 }) {
  const env = { ...process.env };
  delete env.WS_NO_BUFFER_UTIL;
  Object.assign(env, entry.env ?? {});
  const [command, args] = wrapped(
    process.execPath,
    ['--expose-gc', ...nodeFlags, launchPath, entry.file, '--mode', mode],
    core,
  );
  const child = track(spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    if (stderr.length < 8_000) stderr += chunk;
  });
  const listening = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry.id} did not listen within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    );
    lines(child.stdout, (line) => {
      const message = parseJsonLine(line);
      if (message?.event === 'listening') {
        clearTimeout(timer);
        resolve(message);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`${entry.id} exited (${code ?? signal}) before listening: ${stderr.trim()}`),
      );
    });
  }).catch(async (error) => {
    await stopChild(child, 1_000);
    throw error;
  });
  const pending = [];
  child.on('message', (message) => {
    if (message?.type === 'memory') pending.shift()?.(message);
  });
  return {
    pid: child.pid,
    port: listening.port,
    info: listening.info,
    stderr: () => stderr,
    /** Memory after two full collections, as the server sees it. */
    memory: (timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no memory answer')), timeoutMs);
        pending.push((message) => {
          clearTimeout(timer);
          resolve(message);
        });
        child.send({ type: 'memory' });
      }),
    stop: (graceMs = 3_000) => stopChild(child, graceMs),
  };
}

/**
 * Runs the load generator to completion (bounded by `timeoutMs`) and resolves with its result
 * line. `onLine` sees every JSON line as it comes (e.g. "ready" in idle mode); it receives the
 * child so it can close its stdin.
 */
export function runLoadgen(binary, args, { core, timeoutMs, onLine }) {
  const [command, wrappedArgs] = wrapped(binary, args, core);
  const child = track(spawn(command, wrappedArgs, { stdio: ['pipe', 'pipe', 'pipe'] }));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    if (stderr.length < 8_000) stderr += chunk;
  });
  child.stdin.on('error', () => {});
  return new Promise((resolve, reject) => {
    let result;
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      reject(new Error(`loadgen ${args[0]} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    lines(child.stdout, (line) => {
      const message = parseJsonLine(line);
      if (message === undefined) return;
      if (message.event === 'result') result = message;
      else onLine?.(message, child);
    });
    // 'close' rather than 'exit': stdout has been read to its end by then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && result !== undefined) resolve({ ...result, stderr: stderr.trim() });
      else reject(new Error(`loadgen ${args[0]} failed (${code ?? signal}): ${stderr.trim()}`));
    });
  });
}
