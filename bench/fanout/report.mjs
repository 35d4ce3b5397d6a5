/** The fan-out benchmark's tables and its README section. */
import { formatNumber, formatRatio, machineLines } from '../lib/report.mjs';

export const FANOUT_START = '<!-- bench:fanout:start -->';
export const FANOUT_END = '<!-- bench:fanout:end -->';

function cell(summary, digits) {
  if (summary === undefined || !Number.isFinite(summary.median)) return '–';
  const show = (value) => (digits === undefined ? formatNumber(value) : value.toFixed(digits));
  return `${show(summary.median)} (${show(summary.min)}–${show(summary.max)})`;
}

function markdownTable(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

export function figuresTable(report) {
  const rows = report.scenarios.flatMap((scenario) => {
    const first = scenario.contenders[0];
    return scenario.contenders.map((contender) => [
      scenario.id,
      contender.label + (contender.flagged ? ' †' : ''),
      cell(contender.deliveries),
      contender === first || first === undefined
        ? ''
        : formatRatio(first.deliveries.median / contender.deliveries.median),
      cell(contender.perServerCpuSecond),
      cell(contender.p50Ms, 1),
      cell(contender.p99Ms, 1),
      `${contender.serverCpuPct.median.toFixed(0)}%${scenario.redis ? ` + ${contender.redisCpuPct.median.toFixed(0)}%` : ''} / ${contender.clientCpuPct.median.toFixed(0)}%`,
    ]);
  });
  return markdownTable(
    [
      'scenario',
      'server',
      'delivered msg/s',
      'wsgate / this',
      'per server-side CPU-second',
      'p50 ms',
      'p99 ms',
      'CPU: servers (+ redis) / client',
    ],
    rows,
  );
}

export function targetsTable(report) {
  return markdownTable(
    ['target', 'status', 'ratio', 'needed', 'same, per server-side CPU-second'],
    report.targets.map((target) => [
      target.text,
      target.holds === null ? 'not measured' : target.holds ? 'holds' : '**misses**',
      formatRatio(target.ratio ?? Number.NaN),
      `>= ${target.factor}`,
      formatRatio(target.ratioPerServerCpu ?? Number.NaN),
    ]),
  );
}

export function fanoutTables(report) {
  return `${figuresTable(report)}\n\n${targetsTable(report)}`;
}

export function fanoutSection(report, resultFile) {
  const { settings } = report;
  return [
    `Latest run: ${report.date}, results in [\`${resultFile}\`](${resultFile}), took ${Math.round(report.durationSeconds)} s.`,
    '',
    ...machineLines(report.machine),
    `- ${settings.reps} repetitions, contenders alternating within each, every run on fresh server processes (and a fresh redis-server)`,
    `- each measurement: ${settings.subscribers} subscribers, ${settings.window} messages of 32 B in flight, ${settings.warmupSeconds} s warm-up, then ${settings.durationSeconds} s measured`,
    `- pinning: ${settings.pinning}`,
    `- wsgate build measured: core ${settings.coreHash}, core and redis ${settings.packagesHash} (sha256 of the ESM builds, copied at the start)`,
    `- command: \`${settings.command}\``,
    '',
    'Median (min–max) over the repetitions. Delivered messages are summed over all subscribers;',
    'the CPU-second column divides them by the CPU of every server-side process (both nodes and',
    'redis-server). † a run lost deliveries, saw errors or a subscriber went away.',
    '',
    figuresTable(report),
    '',
    targetsTable(report),
    ...(report.notes.length > 0 ? ['', ...report.notes.map((note) => `- ${note}`)] : []),
  ].join('\n');
}
