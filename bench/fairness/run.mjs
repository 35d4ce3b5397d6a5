/**
 * npm run bench -- fairness: how long a bystander waits for a pong while other connections move
 * large compressed messages, wsgate against ws (both with permessage-deflate on).
 *
 * Scenarios (one fresh server process per run, servers alternating within each repetition):
 * - big-echo: one connection echoes 15 MiB text messages; the bystander pings /echo every ms.
 * - chat: 100 members of /chat, one sending 2 KB messages as fast as the room takes them; every
 *   message goes to all 100 (wsgate: a topic; ws: a loop of send); the bystander pings /echo.
 * The server runs on core 1, the bystander and the load (separate processes) on core 0.
 *
 *   node run.mjs fairness [--reps 3] [--seconds 10] [--only big-echo,chat]
 *                         [--servers wsgate,ws,wsgate-before] [--no-pin]
 * `wsgate-before` runs another build of core (WSGATE_BENCH_BEFORE, see the README). Results go
 * to .build/fairness-<time>.json and are printed as a table of medians.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from '../lib/machine.mjs';
import { commandExists, startServer, track, wrapped } from '../lib/processes.mjs';
import { formatNumber, summarize } from '../lib/report.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const buildDir = join(here, '..', '.build');
const SERVERS = {
  wsgate: { id: 'wsgate', file: '../fairness/servers/wsgate.mjs' },
  ws: { id: 'ws', file: '../fairness/servers/ws.mjs' },
  'wsgate-before': { id: 'wsgate-before', file: '../fairness/servers/wsgate-before.mjs' },
};
const SCENARIOS = ['big-echo', 'chat'];

function parseOptions(argv) {
  const options = { reps: 3, seconds: 10, only: SCENARIOS, servers: ['wsgate', 'ws'], pin: true };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = () => argv[++i] ?? '';
    if (name === '--reps') options.reps = Number(value());
    else if (name === '--seconds') options.seconds = Number(value());
    else if (name === '--only') options.only = value().split(',');
    else if (name === '--servers') options.servers = value().split(',');
    else if (name === '--no-pin') options.pin = false;
    else throw new Error(`unknown option ${name}`);
  }
  return options;
}

/** Runs a node script to its JSON result line, bounded in time; `onReady` once it says ready. */
function runScript(script, args, { core, timeoutMs, onReady }) {
  const [command, wrappedArgs] = wrapped(process.execPath, [join(here, script), ...args], core);
  const child = track(spawn(command, wrappedArgs, { stdio: ['pipe', 'pipe', 'inherit'] }));
  let buffered = '';
  const result = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(child.pid, 'SIGKILL');
      reject(new Error(`${script} took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
        const line = JSON.parse(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        if (line.event === 'ready') onReady?.();
        if (line.event === 'result') {
          clearTimeout(timer);
          resolve(line);
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) without a result`));
    });
  });
  return { child, result };
}

async function measure(scenario, server, options) {
  const cores = options.pin ? { server: 1, client: 0 } : { server: undefined, client: undefined };
  const running = await startServer(SERVERS[server], 'echo', { core: cores.server });
  try {
    const port = String(running.port);
    let ready;
    const readyPromise = new Promise((resolve) => {
      ready = resolve;
    });
    const bystander = runScript('bystander.mjs', ['--port', port, '--seconds', '300'], {
      core: cores.client,
      timeoutMs: 320_000,
      onReady: () => ready(),
    });
    await readyPromise;
    const load = await runScript(
      'load.mjs',
      [scenario, '--port', port, '--seconds', String(options.seconds)],
      { core: cores.client, timeoutMs: (options.seconds + 120) * 1000 },
    ).result;
    bystander.child.stdin.end();
    const pings = await bystander.result;
    return { load, pings };
  } finally {
    await running.stop();
  }
}

export async function main(argv) {
  const options = parseOptions(argv);
  if (options.pin && !commandExists('taskset')) options.pin = false;
  const machine = machineInfo();
  const runs = [];
  for (const scenario of options.only) {
    for (let rep = 1; rep <= options.reps; rep++) {
      for (const server of options.servers) {
        const { load, pings } = await measure(scenario, server, options);
        runs.push({ scenario, server, rep, load, pings });
        const throughput =
          scenario === 'chat'
            ? `${formatNumber(load.deliveriesPerSecond)} deliveries/s`
            : `${load.mbPerSecond.toFixed(1)} MB/s (${load.messages} messages, ${load.wrong} wrong)`;
        console.log(
          `${scenario} #${rep} ${server}: bystander worst ${pings.worstMs.toFixed(1)} ms, p99 ${pings.p99Ms.toFixed(2)} ms, p50 ${pings.p50Ms.toFixed(2)} ms (${pings.pings} pings); ${throughput}`,
        );
      }
    }
  }
  machine.loadAfter = (await import('node:os')).loadavg().map((value) => value.toFixed(2));
  console.log(
    `\nload average before / after: ${machine.loadBefore.join(' ')} / ${machine.loadAfter.join(' ')}`,
  );
  console.log('| scenario | server | bystander worst (ms) | bystander p99 (ms) | throughput |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const scenario of options.only) {
    for (const server of options.servers) {
      const mine = runs.filter((run) => run.scenario === scenario && run.server === server);
      const worst = summarize(mine.map((run) => run.pings.worstMs));
      const p99 = summarize(mine.map((run) => run.pings.p99Ms));
      const throughput = summarize(
        mine.map((run) =>
          scenario === 'chat' ? run.load.deliveriesPerSecond : run.load.mbPerSecond,
        ),
      );
      const unit = scenario === 'chat' ? 'deliveries/s' : 'MB/s';
      console.log(
        `| ${scenario} | ${server} | ${worst.median.toFixed(1)} (${worst.min.toFixed(1)}–${worst.max.toFixed(1)}) | ${p99.median.toFixed(2)} (${p99.min.toFixed(2)}–${p99.max.toFixed(2)}) | ${formatNumber(throughput.median)} ${unit} (${formatNumber(throughput.min)}–${formatNumber(throughput.max)}) |`,
      );
    }
  }
  mkdirSync(buildDir, { recursive: true });
  const file = join(buildDir, `fairness-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine, options, runs }, null, 2));
  console.log(`\nresults: ${file}`);
}
