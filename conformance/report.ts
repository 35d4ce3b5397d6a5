import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATEGORIES, type Category, type ConformanceReport } from './types.js';

// The summary of a run: a table per category in the shape of Autobahn's report index, the list
// of every case that is not OK with its reason, and the whole run as JSON in results/.

export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

export interface CategorySummary {
  readonly category: Category;
  readonly name: string;
  readonly total: number;
  readonly ok: number;
  readonly nonStrict: number;
  readonly failed: number;
}

export function summarize(report: ConformanceReport): CategorySummary[] {
  const rows: CategorySummary[] = [];
  for (const [category, name] of Object.entries(CATEGORIES) as [Category, string][]) {
    const results = report.results.filter((r) => r.category === category);
    if (results.length === 0) continue;
    rows.push({
      category,
      name,
      total: results.length,
      ok: results.filter((r) => r.verdict === 'OK').length,
      nonStrict: results.filter((r) => r.verdict === 'NON-STRICT').length,
      failed: results.filter((r) => r.verdict === 'FAILED').length,
    });
  }
  return rows;
}

export function formatTable(report: ConformanceReport): string {
  const rows = summarize(report);
  const header = ['Category', 'Cases', 'OK', 'NON-STRICT', 'FAILED'];
  const body = rows.map((row) => [
    `${row.category.padStart(2)} ${row.name}`,
    String(row.total),
    String(row.ok),
    String(row.nonStrict),
    String(row.failed),
  ]);
  const total = rows.reduce(
    (sum, row) => ({
      total: sum.total + row.total,
      ok: sum.ok + row.ok,
      nonStrict: sum.nonStrict + row.nonStrict,
      failed: sum.failed + row.failed,
    }),
    { total: 0, ok: 0, nonStrict: 0, failed: 0 },
  );
  body.push([
    'Total',
    String(total.total),
    String(total.ok),
    String(total.nonStrict),
    String(total.failed),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((row) => (row[i] as string).length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) =>
        i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number),
      )
      .join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [
    `${report.target}  ${report.url}  (${(report.durationMs / 1000).toFixed(1)} s)`,
    line(header),
    rule,
    ...body.slice(0, -1).map(line),
    rule,
    line(body[body.length - 1] as string[]),
  ].join('\n');
}

/** Every case that is not OK, one per line: id, verdict, reason. */
export function formatProblems(report: ConformanceReport): string {
  const problems = report.results.filter((r) => r.verdict !== 'OK');
  if (problems.length === 0) return 'Every case is OK.';
  return problems.map((r) => `${r.id.padEnd(9)} ${r.verdict.padEnd(10)} ${r.reason}`).join('\n');
}

/** Writes results/<target>.json and returns its path. */
export function writeReport(report: ConformanceReport, directory = RESULTS_DIR): string {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${report.target}.json`);
  writeFileSync(path, `${JSON.stringify({ ...report, summary: summarize(report) }, null, 2)}\n`);
  return path;
}
