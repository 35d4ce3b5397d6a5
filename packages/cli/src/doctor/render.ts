import type { DoctorReport, DoctorStep, ExchangeEntry } from './types.js';

export interface RenderOptions {
  /** ANSI colours (a TTY without NO_COLOR). */
  readonly color: boolean;
  /** Print the raw exchange: heads, frames in hex, events, with timings. */
  readonly verbose: boolean;
}

type Paint = (text: string) => string;

function painter(
  color: boolean,
): Record<'green' | 'red' | 'yellow' | 'dim' | 'bold' | 'cyan', Paint> {
  const wrap =
    (open: number, close: number): Paint =>
    (text) =>
      color ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

const NAME_WIDTH = 12;

function stepLine(step: DoctorStep, paint: ReturnType<typeof painter>): string {
  const name = step.name.padEnd(NAME_WIDTH);
  switch (step.status) {
    case 'ok':
      return `  ${paint.green('✔')} ${name}${step.summary}`;
    case 'failed':
      return `  ${paint.red('✘')} ${paint.bold(name)}${paint.red(step.summary)}`;
    case 'skipped':
      return paint.dim(`  - ${name}skipped: ${step.summary}`);
    default:
      return paint.dim(`  · ${name}not run`);
  }
}

function indent(text: string, prefix: string): string[] {
  return text.split('\n').map((line) => `${prefix}${line}`.trimEnd());
}

function exchangeLines(
  entries: readonly ExchangeEntry[],
  paint: ReturnType<typeof painter>,
): string[] {
  const lines: string[] = [paint.bold('Exchange')];
  for (const entry of entries) {
    const arrow = entry.direction === 'sent' ? '→' : entry.direction === 'received' ? '←' : '·';
    const time = `+${entry.atMs.toFixed(1)} ms`.padStart(12);
    lines.push(`${paint.dim(time)}  ${arrow}  ${entry.summary}`);
    const pad = ' '.repeat(18);
    if (entry.text !== undefined)
      lines.push(
        ...indent(entry.text.replace(/\r\n$/, '').replace(/\r\n/g, '\n'), pad).map(paint.cyan),
      );
    if (entry.hex !== undefined) lines.push(...indent(entry.hex, pad).map(paint.dim));
  }
  return lines;
}

/** The report as text for a person: the steps, then the diagnosis or the verdict. */
export function renderReport(report: DoctorReport, options: RenderOptions): string {
  const paint = painter(options.color);
  const lines: string[] = [`wsgate doctor ${report.url ?? report.input}`, ''];
  if (options.verbose && report.exchange.length > 0)
    lines.push(...exchangeLines(report.exchange, paint), '');
  for (const step of report.steps) lines.push(stepLine(step, paint));
  lines.push('');
  if (report.notes.length > 0) {
    lines.push(paint.yellow('Notes'));
    for (const note of report.notes) lines.push(`  ${paint.yellow('!')} ${note}`);
    lines.push('');
  }
  const diagnosis = report.diagnosis;
  if (diagnosis !== undefined) {
    lines.push(
      `${paint.red('✘')} ${paint.bold(diagnosis.code)} — ${diagnosis.title}`,
      `  ${diagnosis.summary}`,
      '',
    );
    if (diagnosis.observed.length > 0) {
      lines.push(paint.bold('  Observed'));
      for (const line of diagnosis.observed) lines.push(line === '' ? '' : `    ${line}`);
      lines.push('');
    }
    if (diagnosis.causes.length > 0) {
      lines.push(paint.bold('  Likely causes'));
      diagnosis.causes.forEach((cause, i) => {
        lines.push(`    ${i + 1}. ${cause}`);
      });
      lines.push('');
    }
    if (diagnosis.fix.length > 0) {
      lines.push(paint.bold('  Fix'));
      for (const fix of diagnosis.fix) lines.push(`    - ${fix}`);
      lines.push('');
    }
  } else if (report.healthy) {
    const trip = report.roundTrip;
    lines.push(
      `${paint.green('✔')} ${paint.bold('healthy')}: ${report.url} completed every step in ${report.durationMs} ms${trip ? ` (${trip.kind} round trip ${trip.elapsedMs} ms)` : ''}.`,
      '',
    );
  }
  if (report.capture !== undefined) {
    lines.push(
      `Capture: ${report.capture.file} (${report.capture.bytesWritten} bytes, pcapng)${report.capture.truncated ? ` — ${report.capture.note}` : ''}`,
      '',
    );
  }
  lines.push(paint.dim(`exit ${report.exitCode}`));
  return `${lines.join('\n')}\n`;
}
