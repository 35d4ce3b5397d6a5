import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DOCTOR_USAGE } from '../src/main.js';

// The command line as a person types it: the built bin in a real process. A command that
// started a server would never exit by itself, so `timeout` catches one that listens.

const BIN = fileURLToPath(new URL('../bin/wsgate.js', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function wsgate(...args: string[]): Run {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 10_000,
  });
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

/** Each argument list with its text, for test names. */
function named(lists: readonly string[][]): [string, string[]][] {
  return lists.map((args) => [['wsgate', ...args].join(' '), args]);
}

/** Exit 2, nothing on stdout, and exactly one line on stderr. */
function expectUsageError(run: Run, message: RegExp): void {
  expect(run.signal, 'still running after 10 s: it started something').toBeNull();
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n')).toBe(true);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(message);
}

describe('wsgate help', () => {
  it.each(named([['--help'], ['-h'], ['help'], []]))(
    '%s prints the commands and exits 0',
    (_, args) => {
      const run = wsgate(...args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^wsgate <command>\n/);
      expect(run.stdout).toMatch(/\n {2}doctor +diagnose/);
      expect(run.stdout).toMatch(/\n {2}echo +run a WebSocket echo server/);
      expect(run.stderr).toBe('');
    },
  );

  it.each(
    named([
      ['echo', '--help'],
      ['echo', '-h'],
      ['help', 'echo'],
      ['echo', '--port', '1', '--help'],
    ]),
  )('%s prints the echo usage and exits 0 without listening', (_, args) => {
    const run = wsgate(...args);
    expect(run.signal, 'still running after 10 s: it listened').toBeNull();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^wsgate echo \[--port 9001\]/);
    expect(run.stdout).toMatch(/\n {2}--max-payload BYTES /);
    expect(run.stdout).not.toMatch(/listening/);
  });

  it.each(
    named([
      ['doctor', '--help'],
      ['doctor', '-h'],
      ['help', 'doctor'],
      ['doctor', 'ws://127.0.0.1:1/', '--help'],
    ]),
  )('%s prints the doctor usage and exits 0 without probing', (_, args) => {
    const run = wsgate(...args);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${DOCTOR_USAGE}\n`);
  });
});

describe('wsgate usage errors', () => {
  it('an unknown option of echo exits 2 with one line naming it, and never listens', () => {
    expectUsageError(wsgate('echo', '--bogus'), /^wsgate echo: unknown option --bogus\b/);
    expectUsageError(
      wsgate('echo', '--port', '0', '--bogus=1'),
      /^wsgate echo: unknown option --bogus\b/,
    );
  });

  it('a stray argument, a bad number or a value for a bare flag of echo exits 2', () => {
    expectUsageError(wsgate('echo', 'extra'), /^wsgate echo: unexpected argument "extra"/);
    expectUsageError(wsgate('echo', '--port', 'nine'), /--port takes a whole number, got nine/);
    expectUsageError(wsgate('echo', '--quiet=yes'), /--quiet takes no value/);
  });

  it('an unknown option of doctor exits 2 with one line naming it, before probing', () => {
    expectUsageError(
      wsgate('doctor', '--bogus', 'ws://x'),
      /^wsgate doctor: unknown option --bogus\b/,
    );
  });

  it('an unknown command, or help for one, exits 2 with one line naming it', () => {
    expectUsageError(wsgate('frobnicate'), /^wsgate: unknown command "frobnicate"/);
    expectUsageError(wsgate('help', 'frobnicate'), /^wsgate: unknown command "frobnicate"/);
  });

  it('each usage error says where the usage is', () => {
    expect(wsgate('echo', '--bogus').stderr).toContain('(see wsgate echo --help)');
    expect(wsgate('doctor', '--bogus', 'ws://x').stderr).toContain('(see wsgate doctor --help)');
    expect(wsgate('frobnicate').stderr).toContain('(see wsgate --help)');
  });
});
