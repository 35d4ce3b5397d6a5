import { createServer, type LogEvent } from '@wsgate/core';
import { integerFlag, type ParsedArgs, stringFlag } from './args.js';

export const ECHO_USAGE = `wsgate echo [--port 9001] [--host 127.0.0.1] [--max-payload BYTES] [--quiet]

Echoes every message on any path with its type (text stays text, binary stays binary),
with permessage-deflate on. Point a conformance suite or a benchmark at it.`;

/** Runs the echo server until SIGINT or SIGTERM, which close every connection with 1001. */
export async function runEcho(args: ParsedArgs): Promise<number> {
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
