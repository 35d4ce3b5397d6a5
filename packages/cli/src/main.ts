import { UsageError } from './args.js';
import { type CommandIo, DOCTOR_USAGE, runDoctor } from './doctor/index.js';
import { ECHO_USAGE, runEcho } from './echo.js';

export * from './doctor/index.js';

const USAGE = `wsgate <command>

Commands:
  doctor   diagnose a WebSocket endpoint, step by step
  echo     run a WebSocket echo server
  help     show this help, or one command's: wsgate help echo (or wsgate echo --help)

${DOCTOR_USAGE}

${ECHO_USAGE}`;

function processIo(): CommandIo {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    color: process.stdout.isTTY === true && !noColor,
  };
}

const COMMAND_USAGE: Readonly<Record<string, string>> = { doctor: DOCTOR_USAGE, echo: ECHO_USAGE };

/**
 * The `wsgate` command line; returns the process exit code: 2 for a usage error (an unknown
 * command or option), told in one line on stderr, with nothing started.
 */
export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'doctor':
        return await runDoctor(rest, io);
      case 'echo':
        return await runEcho(rest, io.stdout);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return help(rest[0], io);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const name = command === 'echo' ? 'wsgate echo' : 'wsgate';
      io.stderr(`${name}: ${error.message} (see ${name} --help)\n`);
      return 2;
    }
    io.stderr(`wsgate: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** `wsgate help [command]`. */
function help(command: string | undefined, io: CommandIo): number {
  if (command === undefined) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const usage = COMMAND_USAGE[command];
  if (usage === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  io.stdout(`${usage}\n`);
  return 0;
}
