import { parseArgs } from './args.js';
import { type CommandIo, DOCTOR_USAGE, runDoctor } from './doctor/index.js';
import { ECHO_USAGE, runEcho } from './echo.js';

export * from './doctor/index.js';

const USAGE = `wsgate <command>

Commands:
  doctor   diagnose a WebSocket endpoint, step by step
  echo     run a WebSocket echo server
  help     show this help

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

/** The `wsgate` command line; returns the process exit code. */
export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'doctor':
        return await runDoctor(rest, io);
      case 'echo':
        return await runEcho(parseArgs(rest, new Set(['quiet'])));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(`${USAGE}\n`);
        return 0;
      default:
        io.stderr(`wsgate: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    io.stderr(`wsgate: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
