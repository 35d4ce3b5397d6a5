/**
 * npm run bench: wsgate against ws (plain and with bufferutil) and a raw TCP echo, side by side.
 *
 * For each workload, for each repetition, every server runs once in turn (A B C D, A B C D, ...),
 * each on a fresh process, driven by the C load generator in loadgen/ (built here with cc -O2).
 * Servers and load generator are pinned to different cores when taskset is there. A full run
 * writes results/<date>.json and the results section of README.md; a partial run (--only,
 * --servers, fewer than 3 repetitions, --profile) writes under .build/ only.
 *
 *   node run.mjs [--reps 3] [--duration 3] [--warmup 0.5] [--only id,id] [--servers id,id]
 *                [--idle-connections 10000] [--no-pin] [--profile]
 *   node run.mjs --render results/<date>.json     (rewrites README's results section only)
 *   node run.mjs fanout [--help]                  (topics fan-out: fanout/run.mjs)
 *   node run.mjs fairness [...]                   (a bystander beside compression: fairness/run.mjs)
 *
 * --profile runs wsgate alone (or the servers of --servers), once per selected workload, under
 * `node --cpu-prof`, and prints where its time goes (profiles in .build/profiles/).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileC } from './lib/compile.mjs';
import { machineInfo } from './lib/machine.mjs';
import {
  commandExists,
  ephemeralPortCount,
  hardFileLimit,
  killAllStarted,
  readRss,
  runLoadgen,
  sleep,
  softFileLimit,
  startServer,
} from './lib/processes.mjs';
import {
  adaptersTable,
  cpuTable,
  figuresTable,
  formatNumber,
  readmeSection,
  replaceSection,
  summarize,
  targetsTable,
} from './lib/report.mjs';
import { snapshotPackages } from './lib/snapshot.mjs';
import { formatSummary, summarizeProfile } from './profile.mjs';
import { BASELINE, servers as registry, runsWorkload, SUBJECT } from './servers/index.mjs';
import { adapterTargets, targets as coreTargets, workloads } from './workloads.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const buildDir = join(here, '.build');
const loadgenSource = join(here, 'loadgen', 'loadgen.c');
const loadgenBinary = join(buildDir, 'loadgen');

// --- options ------------------------------------------------------------------------------

function parseOptions(argv) {
  const options = {
    reps: 3,
    durationSeconds: 3,
    // Half a second warms the JIT (the connections are open before it starts) and keeps the whole
    // matrix, adapters included, well under 15 minutes on 2 cores.
    warmupSeconds: 0.5,
    only: undefined,
    servers: undefined,
    idleConnections: 10_000,
    pin: true,
    profile: false,
    render: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${name} needs a value`);
      return next;
    };
    const positive = () => {
      const number = Number(value());
      if (!(number > 0)) throw new Error(`${name} must be a positive number`);
      return number;
    };
    if (name === '--reps') options.reps = Math.min(20, Math.round(positive()));
    else if (name === '--duration') options.durationSeconds = Math.min(60, positive());
    else if (name === '--warmup') options.warmupSeconds = Math.min(30, positive());
    else if (name === '--only') options.only = value().split(',');
    else if (name === '--servers') options.servers = value().split(',');
    else if (name === '--idle-connections')
      options.idleConnections = Math.min(100_000, Math.round(positive()));
    else if (name === '--no-pin') options.pin = false;
    else if (name === '--profile') options.profile = true;
    else if (name === '--render') options.render = value();
    else if (name === '--help') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`unknown option ${name}`);
  }
  return options;
}

// --- preparation --------------------------------------------------------------------------

function buildLoadgen() {
  compileC(loadgenSource, loadgenBinary);
}

/** Leaves out servers whose required packages do not resolve (e.g. bufferutil). */
function availableServers(wanted) {
  const require = createRequire(import.meta.url);
  const notes = [];
  const chosen = registry.filter((entry) =>
    wanted === undefined ? entry.optIn !== true : wanted.includes(entry.id),
  );
  const usable = chosen.filter((entry) => {
    for (const name of entry.requires ?? []) {
      try {
        require.resolve(name);
      } catch {
        notes.push(`${entry.label} left out: ${name} does not resolve`);
        return false;
      }
    }
    return true;
  });
  return { usable, notes };
}

function profileName(workload, entry) {
  return `${workload.id}${entry.id === SUBJECT ? '' : `-${entry.id}`}.cpuprofile`;
}

// --- one run ------------------------------------------------------------------------------

async function runTraffic(workload, entry, context) {
  const server = await startServer(entry, workload.serverMode, {
    core: context.serverCore,
    nodeFlags: context.nodeFlags(workload, entry),
  });
  try {
    const args = [
      ...workload.loadgen,
      '--port',
      String(server.port),
      '--server-pid',
      String(server.pid),
      '--warmup',
      String(context.warmupSeconds),
      '--duration',
      String(context.durationSeconds),
      ...(entry.transport === 'tcp' ? ['--raw'] : []),
    ];
    const result = await runLoadgen(loadgenBinary, args, {
      core: context.clientCore,
      timeoutMs: (context.warmupSeconds + context.durationSeconds + 45) * 1000,
    });
    return { result, info: server.info };
  } finally {
    await server.stop(context.profiling ? 15_000 : 3_000);
  }
}

async function runIdleMemory(entry, context) {
  const server = await startServer(entry, 'echo', {
    core: context.serverCore,
    nodeFlags: context.nodeFlags({ id: 'idle-memory' }, entry),
  });
  try {
    const idleArgs = (connections, holdSeconds) => [
      'idle',
      '--port',
      String(server.port),
      '--conns',
      String(connections),
      '--concurrency',
      '100',
      '--setup-max',
      '60',
      '--hold-max',
      String(holdSeconds),
      ...(entry.transport === 'tcp' ? ['--raw'] : []),
    ];
    // Warm the accept and handshake paths so that code loaded lazily is not counted per connection.
    await runLoadgen(loadgenBinary, idleArgs(50, 0), {
      core: context.clientCore,
      timeoutMs: 30_000,
    });
    await sleep(300);
    const before = await server.memory();
    const rssBefore = readRss(server.pid);
    let ready;
    let after;
    let rssAfter = 0;
    const result = await runLoadgen(loadgenBinary, idleArgs(context.idleConnections, 120), {
      core: context.clientCore,
      timeoutMs: 200_000,
      onLine: (message, child) => {
        if (message.event !== 'ready') return;
        ready = message;
        // Let the server finish its side of the last handshakes, then measure and let go.
        void sleep(1_000)
          .then(async () => {
            after = await server.memory();
            rssAfter = readRss(server.pid);
          })
          .finally(() => child.stdin.end());
      },
    });
    if (ready === undefined || after === undefined)
      throw new Error('idle connections never became ready');
    const open = ready.open;
    return {
      result: {
        ...result,
        open,
        serverConnections: after.connections,
        rssBefore,
        rssAfter,
        rssBytesPerConnection: (rssAfter - rssBefore) / open,
        heapBytesPerConnection: (after.heapUsed - before.heapUsed) / open,
        heapTotalBytesPerConnection: (after.heapTotal - before.heapTotal) / open,
        externalBytesPerConnection: (after.external - before.external) / open,
        setupSeconds: ready.setupSeconds,
        errors:
          ready.errors + (open < context.idleConnections ? context.idleConnections - open : 0),
        mismatches: 0,
        clientCpuSeconds: Number.NaN,
        serverCpuSeconds: Number.NaN,
      },
      info: server.info,
    };
  } finally {
    await server.stop(context.profiling ? 15_000 : 3_000);
  }
}

// --- main ---------------------------------------------------------------------------------

function isStartFailure(error) {
  return /did not listen|before listening/.test(error?.message ?? '');
}

/** Writes README.md's results section again from a results file (after a change of format). */
function render(file) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const readmePath = join(here, 'README.md');
  const relative = `results/${file.split('/').pop()}`;
  writeFileSync(
    readmePath,
    replaceSection(readFileSync(readmePath, 'utf8'), readmeSection(report, relative)),
  );
  console.log(`rewrote the results section of bench/README.md from ${relative}`);
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.render !== undefined) {
    render(options.render);
    return;
  }
  const started = Date.now();
  buildLoadgen();
  const machine = machineInfo();
  // A profile is of wsgate's own server unless --servers names others (an adapter, say).
  const { usable, notes } = availableServers(
    options.servers ?? (options.profile ? [SUBJECT] : undefined),
  );
  const snapshot = snapshotPackages(buildDir, [
    ...new Set(['core', ...usable.flatMap((entry) => entry.packages ?? [])]),
  ]);
  process.env.WSGATE_BENCH_PACKAGES = snapshot.root;
  const selected = workloads.filter(
    (workload) =>
      (options.only === undefined || options.only.includes(workload.id)) &&
      usable.some((entry) => runsWorkload(entry, workload.id)),
  );
  if (selected.length === 0) throw new Error(`no workload matches ${options.only}`);

  const pinning = options.pin && machine.nproc >= 2 && commandExists('taskset');
  const pinningText = pinning
    ? 'servers on core 1, load generator on core 0 (taskset)'
    : options.pin
      ? 'none (taskset missing or a single core)'
      : 'none (--no-pin)';

  // The idle-memory workload needs a file descriptor per connection on both sides, and an
  // ephemeral port per connection on the client.
  const hardFiles = hardFileLimit();
  const feasible = Math.min(options.idleConnections, hardFiles - 256, ephemeralPortCount() - 2_048);
  const idleConnections = Math.max(100, Math.floor(feasible));
  const idleConnectionsNote =
    idleConnections < options.idleConnections
      ? `${options.idleConnections} asked for; open files are limited to ${hardFiles} and ${ephemeralPortCount()} ephemeral ports`
      : `open files: soft limit ${softFileLimit()}, hard ${hardFiles}; every child raises its soft limit to the hard one`;
  if (idleConnections < options.idleConnections)
    notes.push(`idle memory measured with ${idleConnections} connections: ${idleConnectionsNote}`);

  const profileDir = join(buildDir, 'profiles');
  const context = {
    serverCore: pinning ? 1 : undefined,
    clientCore: pinning ? 0 : undefined,
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
    idleConnections,
    profiling: options.profile,
    nodeFlags: (workload, entry) =>
      options.profile
        ? [
            '--cpu-prof',
            '--cpu-prof-dir',
            profileDir,
            '--cpu-prof-name',
            profileName(workload, entry),
          ]
        : [],
  };
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  const reps = options.profile ? 1 : options.reps;

  const total = selected.reduce(
    (sum, workload) =>
      sum + reps * usable.filter((entry) => runsWorkload(entry, workload.id)).length,
    0,
  );
  let done = 0;
  const runs = [];
  const unavailable = new Set();
  const startFailures = new Map();
  const infos = {};
  console.error(
    `${total} runs: ${selected.map((w) => w.id).join(', ')} × ${reps} × ${usable.map((s) => s.id).join(', ')}`,
  );
  for (const workload of selected) {
    for (let rep = 1; rep <= reps; rep++) {
      for (const entry of usable) {
        if (!runsWorkload(entry, workload.id)) continue;
        done++;
        if (unavailable.has(entry.id)) continue;
        const prefix = `[${done}/${total}] ${workload.id} #${rep} ${entry.id}`;
        try {
          const once = () =>
            workload.kind === 'idle-memory'
              ? runIdleMemory(entry, context)
              : runTraffic(workload, entry, context);
          // A server that fails to start gets one more try (a busy machine can be slow to load).
          const { result, info } = await once().catch(async (error) => {
            if (!isStartFailure(error)) throw error;
            console.error(`${prefix}: start failed, retrying: ${error.message.split('\n')[0]}`);
            await sleep(2_000);
            return once();
          });
          startFailures.set(entry.id, 0);
          infos[entry.id] = info;
          const values = Object.fromEntries(
            workload.metrics.map((metric) => [metric.id, metric.value(result)]),
          );
          const seconds = result.seconds;
          const run = {
            workload: workload.id,
            server: entry.id,
            rep,
            values,
            serverCpuPct: (result.serverCpuSeconds / seconds) * 100,
            clientCpuPct: (result.clientCpuSeconds / seconds) * 100,
            flagged: result.errors > 0 || result.mismatches > 0,
            loadgen: result,
          };
          runs.push(run);
          const shown = workload.metrics
            .map((metric) => `${formatNumber(values[metric.id])} ${metric.unit}`)
            .join(', ');
          const cpu = Number.isFinite(run.serverCpuPct)
            ? ` (server ${run.serverCpuPct.toFixed(0)}%, client ${run.clientCpuPct.toFixed(0)}%)`
            : '';
          const flag = run.flagged
            ? ` [errors ${result.errors}, mismatches ${result.mismatches}]`
            : '';
          console.error(`${prefix}: ${shown}${cpu}${flag}`);
        } catch (error) {
          console.error(`${prefix}: FAILED ${error.message}`);
          runs.push({ workload: workload.id, server: entry.id, rep, error: error.message });
          // A server that cannot start twice running is left out (e.g. bufferutil did not load).
          if (isStartFailure(error)) {
            const failures = (startFailures.get(entry.id) ?? 0) + 1;
            startFailures.set(entry.id, failures);
            if (failures >= 2) {
              unavailable.add(entry.id);
              notes.push(`${entry.label} left out: ${error.message.split('\n')[0]}`);
            }
          }
        }
      }
    }
  }

  if (options.profile) {
    for (const workload of selected) {
      for (const entry of usable) {
        const file = join(profileDir, profileName(workload, entry));
        if (!existsSync(file)) continue;
        console.log(
          `\n## ${workload.id} on ${entry.id} (${workload.label})\n${formatSummary(summarizeProfile(file, 30))}`,
        );
      }
    }
    return;
  }

  machine.loadAfter = loadavg().map((value) => value.toFixed(2));
  const columns = usable.filter((entry) => !unavailable.has(entry.id));
  const metrics = selected.flatMap((workload) =>
    workload.metrics.map((metric) => {
      const results = {};
      for (const entry of columns) {
        const mine = runs.filter(
          (run) => run.workload === workload.id && run.server === entry.id && run.values,
        );
        if (mine.length === 0) continue;
        results[entry.id] = {
          ...summarize(mine.map((run) => run.values[metric.id])),
          flagged: mine.some((run) => run.flagged),
          ...(metric.perServerCpu
            ? {
                perServerCpuSecond: summarize(
                  mine.map((run) => run.values[metric.id] / (run.serverCpuPct / 100)),
                ),
              }
            : {}),
        };
      }
      const subject = results[SUBJECT]?.median;
      const baseline = results[BASELINE]?.median;
      const perCpu = (id) => results[id]?.perServerCpuSecond?.median;
      return {
        id: metric.id,
        workload: workload.id,
        label: metric.label,
        description: workload.label,
        unit: metric.unit,
        better: metric.better,
        results,
        ratioToBaseline: subject / baseline,
        ratioPerServerCpu: metric.perServerCpu ? perCpu(SUBJECT) / perCpu(BASELINE) : undefined,
      };
    }),
  );
  const cpu = selected
    .filter((workload) => workload.kind !== 'idle-memory')
    .map((workload) => {
      const results = {};
      for (const entry of columns) {
        const mine = runs.filter(
          (run) => run.workload === workload.id && run.server === entry.id && run.values,
        );
        if (mine.length === 0) continue;
        results[entry.id] = {
          server: summarize(mine.map((run) => run.serverCpuPct)).median,
          client: summarize(mine.map((run) => run.clientCpuPct)).median,
        };
      }
      return { workload: workload.id, results };
    });
  const targets = [...coreTargets, ...adapterTargets(columns)];
  const targetResults = targets.map((target) => {
    const subject = target.subject ?? SUBJECT;
    const metric = metrics.find((m) => m.id === target.metric);
    const ratio = metric
      ? metric.results[subject]?.median / metric.results[target.against]?.median
      : Number.NaN;
    const perCpu = (id) => metric?.results[id]?.perServerCpuSecond?.median;
    return {
      ...target,
      subject,
      ratio,
      ratioPerServerCpu: perCpu(subject) / perCpu(target.against),
      holds: Number.isFinite(ratio)
        ? target.op === '>='
          ? ratio >= target.factor
          : ratio <= target.factor
        : undefined,
    };
  });
  const overloaded = runs.filter((run) => run.clientCpuPct >= run.serverCpuPct);
  if (overloaded.length > 0) {
    notes.push(
      `the load generator used at least as much CPU as the server in ${overloaded.length} run(s): ${[
        ...new Set(overloaded.map((run) => `${run.workload}/${run.server}`)),
      ].join(', ')}; those figures are a lower bound for the server`,
    );
  }
  const date = new Date(started).toISOString().slice(0, 10);
  const complete = [SUBJECT, BASELINE].every((id) => columns.some((entry) => entry.id === id));
  if (!complete) notes.push(`${SUBJECT} or ${BASELINE} is missing: this run is partial`);
  const full =
    complete &&
    options.only === undefined &&
    options.servers === undefined &&
    reps >= 3 &&
    !options.profile;
  const failed = runs.filter((run) => run.error !== undefined);
  if (failed.length > 0) {
    notes.push(
      `${failed.length} run(s) failed and are left out of the medians: ${failed
        .map((run) => `${run.workload}/${run.server}#${run.rep}`)
        .join(', ')}`,
    );
  }
  const command =
    process.env.npm_lifecycle_event === 'bench' && process.argv.length === 2
      ? 'npm run bench'
      : `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();
  const report = {
    schema: 1,
    date,
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    subject: SUBJECT,
    baseline: BASELINE,
    machine,
    settings: {
      reps,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
      order: columns.map((entry) => entry.id),
      pinning: pinningText,
      idleConnections,
      idleConnectionsNote,
      coreHash: snapshot.coreHash,
      packagesHash: snapshot.packagesHash,
      command,
    },
    servers: columns.map(({ id, label, role, transport, workloads: only, adapter }) => ({
      id,
      label,
      role,
      transport,
      ...(only === undefined ? {} : { workloads: only }),
      ...(adapter === undefined ? {} : { adapter }),
      info: infos[id] ?? {},
    })),
    workloads: selected.map(({ id, label, serverMode, loadgen }) => ({
      id,
      label,
      serverMode,
      loadgen: loadgen ?? null,
    })),
    metrics,
    cpu,
    targets: targetResults.map(
      ({ metric, subject, against, op, factor, text, ratio, ratioPerServerCpu, holds }) => ({
        metric,
        subject,
        against,
        op,
        factor,
        text,
        ratio,
        ratioPerServerCpu: Number.isFinite(ratioPerServerCpu) ? ratioPerServerCpu : null,
        holds,
      }),
    ),
    notes,
    runs,
  };

  const adapters = adaptersTable(report);
  console.log(
    `\n${figuresTable(report)}\n\n${cpuTable(report, 'main')}${adapters === '' ? '' : `\n\n${adapters}\n\n${cpuTable(report, 'adapters')}`}\n\n${targetsTable(report)}`,
  );
  for (const note of notes) console.log(`- ${note}`);

  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (full) {
    const resultFile = `results/${date}.json`;
    writeFileSync(join(here, resultFile), json);
    const readmePath = join(here, 'README.md');
    const readme = existsSync(readmePath)
      ? readFileSync(readmePath, 'utf8')
      : '# wsgate benchmarks\n';
    writeFileSync(readmePath, replaceSection(readme, readmeSection(report, resultFile)));
    console.log(`\nwrote bench/${resultFile} and the results section of bench/README.md`);
  } else {
    const file = join(
      buildDir,
      `results-${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`,
    );
    writeFileSync(file, json);
    console.log(`\npartial run: wrote ${file} (README and results/ untouched)`);
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAllStarted();
    process.exit(130);
  });
}
try {
  if (process.argv[2] === 'fairness') {
    const fairness = await import('./fairness/run.mjs');
    await fairness.main(process.argv.slice(3));
  } else if (process.argv[2] === 'fanout') {
    const fanout = await import('./fanout/run.mjs');
    await fanout.main(process.argv.slice(3));
  } else {
    await main();
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  killAllStarted();
}
