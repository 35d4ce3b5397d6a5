import { createServer, type LogEvent } from '@wsgate/core';
import {
  integerFlag,
  parseArgs,
  rejectUnknownFlags,
  stringFlag,
  UsageError,
  wantsHelp,
} from './args.js';

export const ECHO_USAGE = `wsgate echo [--port 9001] [--host 127.0.0.1] [--max-payload BYTES] [--quiet]

Echoes every message on any path with its type (text stays text, binary stays binary),
with permessage-deflate on. Point a conformance suite or a benchmark at it.

Options:
  --port PORT          port to listen on (default 9001; 0 picks a free one)
  --host HOST          address to listen on (default 127.0.0.1)
  --max-payload BYTES  largest message accepted, closing with 1009 beyond (default 16 MiB)
  --quiet              do not log refusals and closes (JSON lines on stderr)
  --help               print this help`;

const ECHO_FLAGS = new Set(['port', 'host', 'max-payload', 'quiet', 'help']);

/**
 * `wsgate echo`: with `--help`, prints the usage and returns 0 without listening; otherwise runs
 * the echo server until SIGINT or SIGTERM, which close every connection with 1001. Throws a
 * UsageError for an unknown option or a stray argument, before listening.
 */
export async function runEcho(
  argv: readonly string[],
  stdout: (text: string) => void,
): Promise<number> {
  const args = parseArgs(argv, new Set(['quiet', 'help']));
  if (wantsHelp(args)) {
    stdout(`${ECHO_USAGE}\n`);
    return 0;
  }
  rejectUnknownFlags(args, ECHO_FLAGS);
  if (args.positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  for (const name of ['quiet', 'help']) {
    if (args.flags.has(name) && args.flags.get(name) !== true)
      throw new UsageError(`--${name} takes no value`);
  }
  const port = integerFlag(args, 'port', 9001);
  const host = stringFlag(args, 'host', '127.0.0.1');
  const maxMessageBytes = integerFlag(args, 'max-payload', 16 * 1024 * 1024);
  const quiet = args.flags.get('quiet') === true;
  const log = quiet ? undefined : (event: LogEvent) => console.error(JSON.stringify(event));
  const server = await createServer({ port, host, maxMessageBytes, textAs: 'buffer', onLog: log });
  server.on('connection', (connection) => {
    connection.on('message', (data, isBinary) => {
      connection.send(data, { binary: isBinary });
    });
  });
  const address = server.address();
  const shownHost = address?.family === 'IPv6' ? `[${address.address}]` : address?.address;
  console.log(
    `wsgate echo listening on ws://${shownHost}:${address?.port}/ (max payload ${maxMessageBytes} bytes)`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close({ timeoutMs: 3_000 }).then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
