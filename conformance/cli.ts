import { formatProblems, formatTable, writeReport } from './report.js';
import { runConformance, selectCases } from './runner.js';
import type { EchoServer, startWsEcho, startWsgateEcho } from './servers.js';
import type { CaseResult } from './types.js';

export const USAGE = `npm run conformance -- [ws://127.0.0.1:9001/echo] [options]

Runs the Autobahn-style conformance suite against a WebSocket echo endpoint and prints a
table per category, then every case that is not OK. Writes conformance/results/<target>.json.

  --serve wsgate|ws     start an in-process echo server (ours or the ws package) instead of a URL
  --cases 6.4.*,9       only these ids ('6.4.1'), prefixes ('6.4.*') or categories ('9')
  --max-payload BYTES   the target's message limit (default 16777216, the demo contract's)
  --full-counts         send Autobahn's 1000 messages per 12.x/13.x case (slow) instead of a sample
  --target NAME         the report's name (default: from the URL, or the served package)
  --no-write            do not write the JSON report
  --list                list the cases and exit`;

interface Args {
  url: string | undefined;
  serve: string | undefined;
  cases: string[] | undefined;
  maxPayload: number | undefined;
  fullCounts: boolean;
  target: string | undefined;
  write: boolean;
  list: boolean;
  help: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    url: undefined,
    serve: undefined,
    cases: undefined,
    maxPayload: undefined,
    fullCounts: false,
    target: undefined,
    write: true,
    list: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--serve') args.serve = value();
    else if (arg === '--cases') args.cases = value().split(',').filter(Boolean);
    else if (arg === '--max-payload') args.maxPayload = Number(value());
    else if (arg === '--full-counts') args.fullCounts = true;
    else if (arg === '--target') args.target = value();
    else if (arg === '--no-write') args.write = false;
    else if (arg === '--list') args.list = true;
    else if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg.startsWith('ws://') || arg.startsWith('wss://')) args.url = arg;
    else throw new Error(`unknown argument ${arg}`);
  }
  return args;
}

/** The in-process servers, passed in only for --serve so that a URL run never loads them. */
export interface Servers {
  readonly startWsgateEcho: typeof startWsgateEcho;
  readonly startWsEcho: typeof startWsEcho;
}

/** Runs the CLI; returns the exit code (0 when every case is OK). */
export async function main(argv: readonly string[], servers?: Servers): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.list) {
    for (const c of selectCases({ include: args.cases }))
      console.log(`${c.id.padEnd(9)} ${c.description}`);
    return 0;
  }
  let server: EchoServer | undefined;
  if (args.serve !== undefined && servers === undefined) {
    console.error('--serve needs the servers module (run through bin/conformance.mjs)');
    return 2;
  }
  if (args.serve === 'wsgate') server = await servers?.startWsgateEcho(args.maxPayload);
  else if (args.serve === 'ws') server = await servers?.startWsEcho(args.maxPayload);
  else if (args.serve !== undefined) {
    console.error(`--serve takes wsgate or ws, not ${args.serve}`);
    return 2;
  }
  const url = server?.url ?? args.url;
  if (url === undefined) {
    console.error(`give a ws:// URL or --serve\n\n${USAGE}`);
    return 2;
  }
  try {
    let done = 0;
    const total = selectCases({ include: args.cases }).length;
    const report = await runConformance(url, {
      include: args.cases,
      maxMessageBytes: args.maxPayload,
      fullCounts: args.fullCounts,
      target: args.target ?? (server === undefined ? undefined : `${server.name}-in-process`),
      onResult: (result: CaseResult) => {
        done++;
        if (result.verdict !== 'OK')
          process.stdout.write(`\n${result.id} ${result.verdict}: ${result.reason}\n`);
        else if (done % 50 === 0 || done === total) process.stdout.write(` ${done}/${total}`);
      },
    });
    console.log(`\n\n${formatTable(report)}\n\n${formatProblems(report)}`);
    if (args.write) console.log(`\nWrote ${writeReport(report)}`);
    return report.results.every((r) => r.verdict === 'OK') ? 0 : 1;
  } catch (error) {
    console.error(`\n${(error as Error).message}`);
    return 2;
  } finally {
    await server?.close();
  }
}
