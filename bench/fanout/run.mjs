/**
 * npm run bench -- fanout: topics fan-out, wsgate against ws and socket.io (scenarios.mjs).
 *
 * For each scenario and repetition, every contender runs once in turn (alternating), each on
 * fresh server processes (and, for two nodes, a fresh redis-server), driven by loadgen/fanout.c
 * (built here with cc -O2). Servers and redis-server share core 1, the load generator core 0,
 * when taskset is there. A full run writes results/fanout-<date>.json and the fan-out section of
 * README.md; a partial run (--only, --servers, fewer than 3 repetitions, --profile) writes under
 * .build/fanout/ only.
 *
 *   node run.mjs fanout [--reps 3] [--duration 3] [--warmup 0.5] [--window 64]
 *                       [--subscribers 1000] [--only one-node,two-nodes] [--servers id,id]
 *                       [--no-pin] [--profile]
 *   node run.mjs fanout --render results/fanout-<date>.json
 *
 * --profile runs the wsgate contenders (or those of --servers) once under `node --cpu-prof` and
 * prints where each server process's time goes (profiles in .build/fanout/profiles/).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileC } from '../lib/compile.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { commandExists, runLoadgen, sleep, startServer } from '../lib/processes.mjs';
import { formatNumber, replaceSection, summarize } from '../lib/report.mjs';
import { snapshotPackages } from '../lib/snapshot.mjs';
import { formatSummary, summarizeProfile } from '../profile.mjs';
import { checkDelivery } from './check.mjs';
import { startRedis } from './redis.mjs';
import { FANOUT_END, FANOUT_START, fanoutSection, fanoutTables } from './report.mjs';
import { scenarios, targets } from './scenarios.mjs';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const buildDir = join(benchDir, '.build', 'fanout');
const loadgenSource = join(benchDir, 'loadgen', 'fanout.c');
const loadgenBinary = join(buildDir, 'fanout');

function parseOptions(argv) {
  const options = {
    reps: 3,
    durationSeconds: 3,
    warmupSeconds: 0.5,
    // Enough messages in flight to keep every stage (publisher, server, Redis, the other node)
    // busy; latency then includes the queue this window builds (Little's law).
    window: 64,
    subscribers: 1_000,
    only: undefined,
    servers: undefined,
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
    const positive = (max) => {
      const number = Number(value());
      if (!(number > 0)) throw new Error(`${name} must be a positive number`);
      return Math.min(max, number);
    };
    if (name === '--reps') options.reps = Math.round(positive(20));
    else if (name === '--duration') options.durationSeconds = positive(60);
    else if (name === '--warmup') options.warmupSeconds = positive(30);
    else if (name === '--window') options.window = Math.round(positive(4096));
    else if (name === '--subscribers') options.subscribers = Math.round(positive(20_000));
    else if (name === '--only') options.only = value().split(',');
    else if (name === '--servers') options.servers = value().split(',');
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

/** One measurement: fresh Redis (if any), fresh servers, the load generator, then all stopped. */
async function runOnce(scenario, contender, context, rep) {
  let redis;
  const servers = [];
  try {
    if (scenario.redis) redis = await startRedis({ core: context.serverCore });
    const env = redis === undefined ? {} : { FANOUT_REDIS_URL: redis.url };
    for (let node = 0; node < scenario.nodes; node++) {
      const profileName = `${scenario.id}-${contender.id}-node${node}-${rep}.cpuprofile`;
      const nodeFlags = context.profiling
        ? ['--cpu-prof', '--cpu-prof-dir', context.profileDir, '--cpu-prof-name', profileName]
        : [];
      servers.push(
        await startServer({ ...contender, env }, 'fanout', { core: context.serverCore, nodeFlags }),
      );
    }
    const ports = servers.map((server) => server.port);
    if (rep === 1 && !context.profiling) await checkDelivery(contender.protocol, ports);
    const pids = [...servers.map((server) => server.pid), ...(redis ? [redis.pid] : [])];
    const result = await runLoadgen(
      loadgenBinary,
      [
        '--protocol',
        contender.protocol,
        '--sub-ports',
        ports.join(','),
        '--pub-port',
        String(servers[0].port),
        '--subscribers',
        String(context.subscribers),
        '--window',
        String(context.window),
        '--warmup',
        String(context.warmupSeconds),
        '--duration',
        String(context.durationSeconds),
        '--setup-max',
        '60',
        '--server-pids',
        pids.join(','),
      ],
      {
        core: context.clientCore,
        timeoutMs: (context.warmupSeconds + context.durationSeconds + 90) * 1000,
      },
    );
    const serverStderr = servers.map((server) => server.stderr().trim()).filter(Boolean);
    return { result, info: servers[0].info, serverStderr };
  } finally {
    for (const server of servers) await server.stop(context.profiling ? 15_000 : 3_000);
    await redis?.kill();
  }
}

function valuesOf(result, nodes) {
  const cpu = result.serverCpuSeconds;
  const nodeCpu = cpu.slice(0, nodes).reduce((sum, seconds) => sum + seconds, 0);
  const redisCpu = cpu.length > nodes ? (cpu[nodes] ?? 0) : 0;
  const deliveries = result.deliveries / result.seconds;
  return {
    deliveries,
    published: result.published / result.seconds,
    p50Ms: result.p50Us / 1000,
    p99Ms: result.p99Us / 1000,
    serverCpuPct: (nodeCpu / result.seconds) * 100,
    redisCpuPct: (redisCpu / result.seconds) * 100,
    clientCpuPct: (result.clientCpuSeconds / result.seconds) * 100,
    // Deliveries per CPU-second of every server-side process (the nodes and redis-server).
    perServerCpuSecond: deliveries / ((nodeCpu + redisCpu) / result.seconds),
  };
}

function render(file) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const readmePath = join(benchDir, 'README.md');
  const relative = `results/${file.split('/').pop()}`;
  writeFileSync(
    readmePath,
    replaceSection(
      readFileSync(readmePath, 'utf8'),
      fanoutSection(report, relative),
      FANOUT_START,
      FANOUT_END,
    ),
  );
  console.log(`rewrote the fan-out section of bench/README.md from ${relative}`);
}

export async function main(argv) {
  const options = parseOptions(argv);
  if (options.render !== undefined) {
    render(options.render);
    return;
  }
  const started = Date.now();
  compileC(loadgenSource, loadgenBinary);
  const machine = machineInfo();
  const notes = [];
  if (!commandExists('bun')) notes.push('Bun is not installed on this machine: no Bun column');
  const wanted = (contender) =>
    options.servers === undefined
      ? !options.profile || contender.id.startsWith('wsgate')
      : options.servers.includes(contender.id);
  const selected = scenarios
    .filter((scenario) => options.only === undefined || options.only.includes(scenario.id))
    .map((scenario) => ({ ...scenario, contenders: scenario.contenders.filter(wanted) }))
    .filter((scenario) => scenario.contenders.length > 0);
  if (selected.length === 0) throw new Error('no scenario or server matches --only / --servers');
  const snapshot = snapshotPackages(buildDir, ['core', 'redis']);
  process.env.WSGATE_BENCH_PACKAGES = snapshot.root;

  const pinning = options.pin && machine.nproc >= 2 && commandExists('taskset');
  const profileDir = join(buildDir, 'profiles');
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  const context = {
    serverCore: pinning ? 1 : undefined,
    clientCore: pinning ? 0 : undefined,
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
    window: options.window,
    subscribers: options.subscribers,
    profiling: options.profile,
    profileDir,
  };
  const reps = options.profile ? 1 : options.reps;
  const total = selected.reduce((sum, scenario) => sum + reps * scenario.contenders.length, 0);
  let done = 0;
  const runs = [];
  const infos = {};
  for (const scenario of selected) {
    for (let rep = 1; rep <= reps; rep++) {
      for (const contender of scenario.contenders) {
        done++;
        const prefix = `[${done}/${total}] ${scenario.id} #${rep} ${contender.id}`;
        try {
          const once = () => runOnce(scenario, contender, context, rep);
          const { result, info, serverStderr } = await once().catch(async (error) => {
            if (!/did not listen|before listening/.test(error.message)) throw error;
            console.error(`${prefix}: start failed, retrying: ${error.message.split('\n')[0]}`);
            await sleep(2_000);
            return once();
          });
          infos[contender.id] = info;
          const values = valuesOf(result, scenario.nodes);
          const flagged =
            result.errors > 0 ||
            result.mismatches > 0 ||
            result.lost > result.late ||
            result.subscribersAtEnd < result.subscribers ||
            result.subscribers < context.subscribers;
          runs.push({
            scenario: scenario.id,
            server: contender.id,
            rep,
            values,
            flagged,
            loadgen: result,
            ...(serverStderr.length > 0 ? { serverStderr } : {}),
          });
          console.error(
            `${prefix}: ${formatNumber(values.deliveries)} deliveries/s, ${formatNumber(values.published)} publishes/s, p50 ${formatNumber(values.p50Ms)} ms, p99 ${formatNumber(values.p99Ms)} ms (servers ${values.serverCpuPct.toFixed(0)}%, redis ${values.redisCpuPct.toFixed(0)}%, client ${values.clientCpuPct.toFixed(0)}%)${flagged ? ` [errors ${result.errors}, lost ${result.lost}, mismatches ${result.mismatches}]` : ''}`,
          );
        } catch (error) {
          console.error(`${prefix}: FAILED ${error.message}`);
          runs.push({ scenario: scenario.id, server: contender.id, rep, error: error.message });
        }
      }
    }
  }

  if (options.profile) {
    for (const run of runs) {
      if (run.error !== undefined) continue;
      const scenario = scenarios.find((entry) => entry.id === run.scenario);
      for (let node = 0; node < scenario.nodes; node++) {
        const file = join(profileDir, `${run.scenario}-${run.server}-node${node}-1.cpuprofile`);
        if (!existsSync(file)) continue;
        console.log(
          `\n## ${run.scenario} ${run.server} node ${node}\n${formatSummary(summarizeProfile(file, 30))}`,
        );
      }
    }
    return;
  }

  machine.loadAfter = loadavg().map((value) => value.toFixed(2));
  const results = selected.map((scenario) => ({
    id: scenario.id,
    label: scenario.label,
    nodes: scenario.nodes,
    redis: scenario.redis,
    contenders: scenario.contenders
      .map((contender) => {
        const mine = runs.filter(
          (run) => run.scenario === scenario.id && run.server === contender.id && run.values,
        );
        if (mine.length === 0) return undefined;
        const metric = (key) => summarize(mine.map((run) => run.values[key]));
        return {
          id: contender.id,
          label: contender.label,
          info: infos[contender.id] ?? {},
          flagged: mine.some((run) => run.flagged),
          deliveries: metric('deliveries'),
          published: metric('published'),
          p50Ms: metric('p50Ms'),
          p99Ms: metric('p99Ms'),
          serverCpuPct: metric('serverCpuPct'),
          redisCpuPct: metric('redisCpuPct'),
          clientCpuPct: metric('clientCpuPct'),
          perServerCpuSecond: metric('perServerCpuSecond'),
        };
      })
      .filter(Boolean),
  }));
  const targetResults = targets.map((target) => {
    const scenario = results.find((entry) => entry.id === target.scenario);
    const of = (id) => scenario?.contenders.find((contender) => contender.id === id);
    const ratio = of(target.subject)?.deliveries.median / of(target.against)?.deliveries.median;
    const perCpu =
      of(target.subject)?.perServerCpuSecond.median / of(target.against)?.perServerCpuSecond.median;
    return {
      ...target,
      ratio: Number.isFinite(ratio) ? ratio : null,
      ratioPerServerCpu: Number.isFinite(perCpu) ? perCpu : null,
      holds: Number.isFinite(ratio) ? ratio >= target.factor : null,
    };
  });
  const failed = runs.filter((run) => run.error !== undefined);
  if (failed.length > 0) {
    notes.push(
      `${failed.length} run(s) failed and are left out of the medians: ${failed
        .map((run) => `${run.scenario}/${run.server}#${run.rep}`)
        .join(', ')}`,
    );
  }
  const date = new Date(started).toISOString().slice(0, 10);
  const full =
    options.only === undefined && options.servers === undefined && reps >= 3 && !options.profile;
  const report = {
    schema: 1,
    date,
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    machine,
    settings: {
      reps,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
      window: options.window,
      subscribers: options.subscribers,
      pinning: pinning
        ? 'servers and redis-server on core 1, load generator on core 0 (taskset)'
        : 'none',
      coreHash: snapshot.coreHash,
      packagesHash: snapshot.packagesHash,
      command: `npm run bench -- fanout${argv.length > 0 ? ` ${argv.join(' ')}` : ''}`,
    },
    scenarios: results,
    targets: targetResults,
    notes,
    runs,
  };
  console.log(`\n${fanoutTables(report)}`);
  for (const note of notes) console.log(`- ${note}`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (full) {
    const resultFile = `results/fanout-${date}.json`;
    writeFileSync(join(benchDir, resultFile), json);
    const readmePath = join(benchDir, 'README.md');
    writeFileSync(
      readmePath,
      replaceSection(
        readFileSync(readmePath, 'utf8'),
        fanoutSection(report, resultFile),
        FANOUT_START,
        FANOUT_END,
      ),
    );
    console.log(`\nwrote bench/${resultFile} and the fan-out section of bench/README.md`);
  } else {
    mkdirSync(buildDir, { recursive: true });
    const file = join(buildDir, `results-${report.startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, json);
    console.log(`\npartial run: wrote ${file} (README and results/ untouched)`);
  }
}
