/** Statistics over repetitions, the printed tables, and the README section. */

export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function summarize(values) {
  const finite = values.filter((value) => Number.isFinite(value));
  return {
    median: median(finite),
    min: finite.length > 0 ? Math.min(...finite) : Number.NaN,
    max: finite.length > 0 ? Math.max(...finite) : Number.NaN,
    values,
  };
}

/** Three significant digits, with k and M for large numbers. */
export function formatNumber(value) {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toPrecision(3)}k`;
  if (abs >= 100) return value.toFixed(0);
  return value.toPrecision(3);
}

export function formatRatio(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '–';
}

function markdownTable(header, rows) {
  const out = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const row of rows) out.push(`| ${row.join(' | ')} |`);
  return out.join('\n');
}

/**
 * The figures: one row per metric, one column per server ("median (min–max)"), then the ratio of
 * wsgate's median to ws's. A dagger marks cells where a run saw errors or wrong echoes.
 */
/** The standalone servers' columns; adapters and their peers have a table of their own. */
function mainServers(report) {
  return report.servers.filter((server) => server.role !== 'adapter' && server.role !== 'peer');
}

function adapterServers(report) {
  return report.servers.filter((server) => server.role === 'adapter' || server.role === 'peer');
}

function cellText(cell) {
  if (cell === undefined) return 'n/a';
  const flag = cell.flagged ? ' †' : '';
  return `${formatNumber(cell.median)} (${formatNumber(cell.min)}–${formatNumber(cell.max)})${flag}`;
}

export function figuresTable(report) {
  const servers = mainServers(report);
  const header = [
    'metric',
    'unit',
    ...servers.map((server) => server.label),
    `${report.subject} / ${report.baseline}`,
    'same, per server CPU-second',
  ];
  const rows = report.metrics.map((metric) => [
    metric.label + (metric.better === 'lower' ? ' (lower is better)' : ''),
    metric.unit,
    ...servers.map((server) => cellText(metric.results[server.id])),
    formatRatio(metric.ratioToBaseline),
    metric.ratioPerServerCpu === undefined ? '' : formatRatio(metric.ratioPerServerCpu),
  ]);
  return markdownTable(header, rows);
}

/**
 * Each adapter against its peer and against wsgate's standalone server, one row per adapter and
 * metric: medians (min–max), then the ratios (the last also per server CPU-second). Empty when
 * the run had no adapter.
 */
export function adaptersTable(report) {
  const rows = [];
  for (const adapter of report.servers.filter((server) => server.role === 'adapter')) {
    const peer = report.servers.find((server) => server.id === adapter.adapter?.peer);
    const core = report.servers.find((server) => server.id === adapter.adapter?.core);
    for (const metric of report.metrics) {
      const mine = metric.results[adapter.id];
      if (mine === undefined) continue;
      const theirs = peer === undefined ? undefined : metric.results[peer.id];
      const ours = core === undefined ? undefined : metric.results[core.id];
      const perCpu = (cell) => cell?.perServerCpuSecond?.median;
      rows.push([
        `${adapter.label} / ${peer?.label ?? '–'}`,
        metric.label + (metric.better === 'lower' ? ' (lower is better)' : ''),
        metric.unit,
        cellText(mine),
        cellText(theirs),
        formatRatio(mine.median / theirs?.median),
        metric.ratioPerServerCpu === undefined || metric.ratioPerServerCpu === null
          ? ''
          : formatRatio(perCpu(mine) / perCpu(theirs)),
        formatRatio(mine.median / ours?.median),
      ]);
    }
  }
  if (rows.length === 0) return '';
  return markdownTable(
    [
      'adapter / peer',
      'metric',
      'unit',
      'adapter',
      'peer',
      'adapter / peer',
      'same, per server CPU-second',
      'adapter / wsgate server',
    ],
    rows,
  );
}

/**
 * Median CPU use of server and load generator per workload, in % of one core: the standalone
 * servers ("main") or the adapters and their peers ("adapters").
 */
export function cpuTable(report, which = 'main') {
  const servers = which === 'main' ? mainServers(report) : adapterServers(report);
  const header = ['workload', ...servers.map((server) => `${server.label} server / client`)];
  const rows = report.cpu
    .filter((row) => servers.some((server) => row.results[server.id] !== undefined))
    .map((row) => [
      row.workload,
      ...servers.map((server) => {
        const cell = row.results[server.id];
        if (cell === undefined || !Number.isFinite(cell.server)) return '–';
        const warn = cell.client >= cell.server ? ' ‼' : '';
        return `${cell.server.toFixed(0)}% / ${cell.client.toFixed(0)}%${warn}`;
      }),
    ]);
  return markdownTable(header, rows);
}

export function targetsTable(report) {
  const rows = report.targets.map((target) => [
    target.text,
    target.holds === undefined ? 'not measured' : target.holds ? 'holds' : '**misses**',
    formatRatio(target.ratio),
    `${target.op} ${target.factor}`,
    target.ratioPerServerCpu === null || target.ratioPerServerCpu === undefined
      ? ''
      : formatRatio(target.ratioPerServerCpu),
  ]);
  return markdownTable(
    ['target', 'status', 'ratio', 'needed', 'same, per server CPU-second'],
    rows,
  );
}

export function machineLines(machine) {
  // The 1-minute load before the run: afterwards it includes the benchmark's own load.
  const busy = Number(machine.loadBefore[0]) > machine.nproc / 2;
  return [
    `- CPU: ${machine.cpuModel}, ${machine.nproc} cores (nproc)`,
    `- Node ${machine.node}, Linux ${machine.kernel}, ${machine.memoryGiB} GiB RAM`,
    `- load average before / after: ${machine.loadBefore.join(' ')} / ${machine.loadAfter.join(' ')}`,
    ...(busy
      ? [
          '- **other jobs were running on the machine** (1-minute load above half the cores when the run',
          '  started): servers may have got less than a whole core, and single-connection latency (p99',
          '  most of all) is at the mercy of the scheduler; read the ratios, the per-CPU-second column',
          '  first, and re-run on a quiet machine for absolute figures',
        ]
      : []),
  ];
}

export function settingsLines(settings) {
  return [
    `- ${settings.reps} repetitions, servers alternating within each (${settings.order.join(', ')}), every run on a fresh server process`,
    `- each measurement: ${settings.warmupSeconds} s warm-up, then ${settings.durationSeconds} s measured`,
    `- pinning: ${settings.pinning}`,
    `- idle memory: ${settings.idleConnections} connections; ${settings.idleConnectionsNote}`,
    `- wsgate build measured: core ${settings.coreHash}${settings.packagesHash === undefined ? '' : `, core and adapters ${settings.packagesHash}`} (sha256 of the ESM builds, copied at the start)`,
    `- command: \`${settings.command}\``,
  ];
}

/** The README section between the markers, regenerated after every full run. */
export function readmeSection(report, resultFile) {
  return [
    `Latest run: ${report.date}, results in [\`${resultFile}\`](${resultFile}), took ${Math.round(report.durationSeconds)} s.`,
    '',
    ...machineLines(report.machine),
    ...settingsLines(report.settings),
    '',
    'Median (min–max) over the repetitions, then wsgate’s median over ws’s; the last column divides',
    'each run’s figure by the server’s CPU use first (work per CPU-second), which other jobs on the',
    'machine disturb much less than raw throughput.',
    '† a run saw connection errors or wrong echoes. Throughput counts echoed (or delivered) payload.',
    '',
    figuresTable(report),
    '',
    'CPU in % of one core during the measured window (server from /proc/<pid>/stat, load generator',
    'from getrusage); ‼ marks a run where the load generator used as much CPU as the server.',
    '',
    cpuTable(report, 'main'),
    '',
    ...(adaptersTable(report) === ''
      ? []
      : [
          'Adapters, each against its peer (its framework’s usual WebSocket package, on the same',
          'framework version and route) and against wsgate’s standalone server in the same run.',
          '',
          adaptersTable(report),
          '',
          cpuTable(report, 'adapters'),
          '',
        ]),
    targetsTable(report),
    ...(report.notes.length > 0 ? ['', ...report.notes.map((note) => `- ${note}`)] : []),
  ].join('\n');
}

export const README_START = '<!-- bench:results:start -->';
export const README_END = '<!-- bench:results:end -->';

/** Replaces what lies between two markers of the README (appended with them when missing). */
export function replaceSection(
  readme,
  section,
  startMarker = README_START,
  endMarker = README_END,
) {
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  if (start === -1 || end === -1 || end < start) {
    return `${readme.trimEnd()}\n\n${startMarker}\n${section}\n${endMarker}\n`;
  }
  return `${readme.slice(0, start + startMarker.length)}\n${section}\n${readme.slice(end)}`;
}
