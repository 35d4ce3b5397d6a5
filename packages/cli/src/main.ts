import { parseArgs } from './args.js';
import { ECHO_USAGE, runEcho } from './echo.js';

const USAGE = `wsgate <command>

Commands:
  echo     run a WebSocket echo server
  help     show this help

${ECHO_USAGE}`;

/** The `wsgate` command line; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'echo':
        return await runEcho(parseArgs(rest, new Set(['quiet'])));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return 0;
      default:
        console.error(`wsgate: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    console.error(`wsgate: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
