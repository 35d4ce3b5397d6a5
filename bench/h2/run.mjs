/**
 * node bench/h2/run.mjs [--reps 3] [--duration 3] [--connections 50]
 *
 * 32-byte binary echo over TLS, HTTP/2 (RFC 8441, one session per client, every WebSocket a
 * stream of it) against HTTP/1.1 upgrades (one TLS connection per WebSocket), on the same wsgate
 * server process, in alternation. Each WebSocket keeps one message in flight. The client is
 * wsgate's own `connect` in this process (Node), so both sides pay Node's costs: read the ratio,
 * not the absolute figures. Then handshakes: WebSockets opened (and closed) per second by 16
 * clients at a time, each a new stream of one session over HTTP/2, each a new TLS connection over
 * HTTP/1.1 (what RFC 8441 saves).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@wsgate/core';

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}
const reps = option('reps', 3);
const durationMs = option('duration', 3) * 1000;
const connections = option('connections', 50);
const payload = Buffer.alloc(32, 7);

function certificate() {
  const dir = mkdtempSync(join(tmpdir(), 'wsgate-bench-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'k'),
        '-out',
        join(dir, 'c'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    return {
      cert: readFileSync(join(dir, 'c'), 'utf8'),
      key: readFileSync(join(dir, 'k'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startServer(tls) {
  const child = spawn(process.execPath, [new URL('server.mjs', import.meta.url).pathname], {
    env: { ...process.env, BENCH_TLS: JSON.stringify(tls) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve) =>
    child.stdout.once('data', (d) => resolve(Number(String(d)))),
  );
  return { child, port };
}

/** Messages echoed per second by `connections` WebSockets over `transport`, for durationMs. */
async function measure(port, transport) {
  const url = `wss://127.0.0.1:${port}/echo`;
  const session =
    transport === 'h2'
      ? http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false })
      : undefined;
  // Every connect() waits for the session's SETTINGS with listeners of its own.
  session?.setMaxListeners(connections + 10);
  const sockets = await Promise.all(
    Array.from({ length: connections }, () =>
      connect(url, {
        http2: session ?? false,
        rejectUnauthorized: false,
        perMessageDeflate: false,
      }),
    ),
  );
  let echoed = 0;
  let running = true;
  for (const ws of sockets) {
    ws.on('message', () => {
      echoed += 1;
      if (running) ws.send(payload, { binary: true });
    });
  }
  // Warm-up, then the measured window.
  for (const ws of sockets) ws.send(payload, { binary: true });
  await new Promise((r) => setTimeout(r, 500));
  const start = echoed;
  const startedAt = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  const rate = ((echoed - start) * 1000) / (performance.now() - startedAt);
  running = false;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          ws.once('close', resolve);
          ws.close(1000);
        }),
    ),
  );
  session?.close();
  return rate;
}

/** WebSockets opened and closed per second over `transport`, 16 at a time, for durationMs. */
async function measureHandshakes(port, transport) {
  const url = `wss://127.0.0.1:${port}/echo`;
  const session =
    transport === 'h2'
      ? http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false })
      : undefined;
  session?.setMaxListeners(100);
  const deadline = performance.now() + durationMs;
  let opened = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const ws = await connect(url, {
        http2: session ?? false,
        rejectUnauthorized: false,
        perMessageDeflate: false,
      });
      opened += 1;
      await new Promise((resolve) => {
        ws.once('close', resolve);
        ws.close(1000);
      });
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: 16 }, worker));
  const rate = (opened * 1000) / (performance.now() - startedAt);
  session?.close();
  return rate;
}

const server = await startServer(certificate());
const rates = { 'http/1.1': [], h2: [] };
const handshakes = { 'http/1.1': [], h2: [] };
try {
  for (let rep = 0; rep < reps; rep += 1) {
    for (const transport of ['http/1.1', 'h2'])
      rates[transport].push(await measure(server.port, transport));
  }
  for (let rep = 0; rep < reps; rep += 1) {
    for (const transport of ['http/1.1', 'h2'])
      handshakes[transport].push(await measureHandshakes(server.port, transport));
  }
} finally {
  server.child.kill('SIGTERM');
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const report = (what, unit, table) => {
  console.log(what);
  for (const [transport, values] of Object.entries(table))
    console.log(
      `  ${transport.padEnd(8)} ${Math.round(median(values)).toLocaleString('en')} ${unit} (runs: ${values.map((v) => Math.round(v)).join(', ')})`,
    );
  console.log(`  h2 / http/1.1: ${(median(table.h2) / median(table['http/1.1'])).toFixed(2)}`);
};
report(`32 B echo, ${connections} WebSockets`, 'msg/s', rates);
report('handshakes, 16 at a time', 'WebSockets opened/s', handshakes);
