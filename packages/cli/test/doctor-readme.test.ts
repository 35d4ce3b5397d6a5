import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOCTOR_USAGE, DoctorExitCode, stepNames } from '../src/main.js';

// packages/cli/README.md is what users read: it must say what the command does.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The rows of the first Markdown table after `heading`, as arrays of cells. */
function table(heading: string): string[][] {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, `README section ${heading}`).toBeGreaterThan(-1);
  const lines = readme.slice(start + heading.length + 2).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe('packages/cli/README.md matches the command', () => {
  it('documents the exit codes that scripts rely on, as DoctorExitCode defines them', () => {
    const rows = table('### Exit codes');
    expect(rows.map((row) => row[0])).toEqual(['`0`', '`1`', '`2`']);
    expect(DoctorExitCode).toEqual({ healthy: 0, failing: 1, usage: 2 });
    expect(rows[0]?.[1]).toMatch(/^healthy/);
    expect(rows[1]?.[1]).toMatch(/fails a step/);
    expect(rows[2]?.[1]).toMatch(/^usage error/);
    expect(DOCTOR_USAGE).toMatch(
      /Exit codes:\n {2}0 {2}healthy[^\n]*\n {2}1 {2}the endpoint fails[^\n]*\n {2}2 {2}usage error/,
    );
  });

  it('lists every option of `wsgate doctor --help`, and no other', () => {
    const documented = table('### Options').map((row) => /^`(--[a-z-]+)/.exec(row[0] ?? '')?.[1]);
    const options = DOCTOR_USAGE.slice(DOCTOR_USAGE.indexOf('Options:'))
      .split('\n')
      .map((line) => /^ {2}(--[a-z-]+)/.exec(line)?.[1])
      .filter((flag) => flag !== undefined);
    expect(options.length).toBeGreaterThan(10);
    expect(documented).toEqual(options);
  });

  it('describes every step, in the order the doctor runs them', () => {
    const steps = table('## `wsgate doctor <url>`').map((row) => row[0]?.replaceAll('`', ''));
    expect(steps).toEqual([...stepNames]);
  });
});
