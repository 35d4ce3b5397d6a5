import { readFileSync } from 'node:fs';
import { type Capture, createCapture } from '@wsgate/core';
import { isToken } from '@wsgate/core/protocol';
import { type ParsedArgs, parseArgs, rejectUnknownFlags, UsageError, wantsHelp } from '../args.js';
import { renderReport } from './render.js';
import { doctor } from './run.js';
import { DEFAULT_DOCTOR_TIMEOUT_MS, DoctorExitCode } from './types.js';

export const DOCTOR_USAGE = `wsgate doctor <url> [options]

Probes any WebSocket endpoint step by step (url, dns, tcp, tls, upgrade, version,
subprotocol, extensions, echo, close) and stops at the first failing step with the
error code, what was observed, the likely causes and the fix.

Options:
  --send TEXT              send a text message after the handshake and wait for a reply
                           (without it: a ping, which every server must answer with a pong)
  --origin ORIGIN          send this Origin header (browsers always send the page's origin)
  --header 'Name: value'   send an extra request header (repeatable): Authorization, Cookie...
  --protocol NAME[,NAME]   offer subprotocols (Sec-WebSocket-Protocol), repeatable
  --ca FILE                trust the CA certificates in FILE (PEM) for wss://
  --timeout-ms MS          bound on each step (default ${DEFAULT_DOCTOR_TIMEOUT_MS})
  --no-deflate             do not offer permessage-deflate
  --capture FILE           write the exchange, handshake included, as pcapng (Wireshark, tshark)
  --capture-max-bytes N    bound on the capture file (default 16 MiB)
  --json                   print the report as JSON
  --verbose                print the raw exchange: heads, frames in hex, timings

Exit codes:
  0  healthy: every step passed
  1  the endpoint fails a step (the diagnosis says which and why)
  2  usage error: bad options or an unusable URL; nothing was probed

Examples:
  wsgate doctor ws://localhost:8080/chat
  wsgate doctor wss://example.com/socket --send hello --origin https://example.com
  wsgate doctor https://api.example.com/ws --header 'Authorization: Bearer abc' --json
  wsgate doctor ws://127.0.0.1:9001/ --capture doctor.pcapng --verbose`;

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Colours in human output: stdout is a TTY and NO_COLOR is not set. */
  readonly color: boolean;
}

const BOOLEAN_FLAGS = new Set(['json', 'verbose', 'no-deflate', 'help']);
const VALUE_FLAGS = new Set([
  'send',
  'origin',
  'header',
  'protocol',
  'ca',
  'timeout-ms',
  'capture',
  'capture-max-bytes',
]);

function value(args: ParsedArgs, name: string): string | undefined {
  const given = args.flags.get(name);
  if (given === true)
    throw new UsageError(`--${name} takes a value (use --${name}=VALUE if it starts with --)`);
  return given;
}

function values(args: ParsedArgs, name: string): string[] {
  return (args.repeated.get(name) ?? []).map((item) => {
    if (item === true) throw new UsageError(`--${name} takes a value`);
    return item;
  });
}

function wholeNumber(args: ParsedArgs, name: string): number | undefined {
  const given = value(args, name);
  if (given === undefined) return undefined;
  if (!/^\d+$/.test(given) || !Number.isSafeInteger(Number(given)))
    throw new UsageError(`--${name} takes a whole number, got ${JSON.stringify(given)}`);
  return Number(given);
}

function parseHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trim();
    const headerValue = colon === -1 ? '' : line.slice(colon + 1).trim();
    if (!isToken(name) || /[\r\n]/.test(headerValue)) {
      throw new UsageError(`--header takes 'Name: value', got ${JSON.stringify(line)}`);
    }
    headers[name] = headerValue;
  }
  return headers;
}

/** `wsgate doctor`: returns the exit code (0 healthy, 1 failing, 2 usage). */
export async function runDoctor(argv: readonly string[], io: CommandIo): Promise<number> {
  let capture: Capture | undefined;
  let options: Parameters<typeof doctor>[1];
  let url: string;
  let json: boolean;
  let verbose: boolean;
  try {
    const args = parseArgs(argv, BOOLEAN_FLAGS);
    if (wantsHelp(args)) {
      io.stdout(`${DOCTOR_USAGE}\n`);
      return 0;
    }
    rejectUnknownFlags(args, new Set([...BOOLEAN_FLAGS, ...VALUE_FLAGS]));
    for (const name of args.flags.keys()) {
      if (BOOLEAN_FLAGS.has(name) && args.flags.get(name) !== true)
        throw new UsageError(`--${name} takes no value`);
    }
    if (args.positionals.length !== 1) {
      throw new UsageError(
        args.positionals.length === 0
          ? 'a URL is required'
          : `one URL is expected, got ${args.positionals.length}: ${args.positionals.join(' ')}`,
      );
    }
    url = args.positionals[0] as string;
    json = args.flags.get('json') === true;
    verbose = args.flags.get('verbose') === true;
    const caFile = value(args, 'ca');
    let ca: Buffer | undefined;
    if (caFile !== undefined) {
      try {
        ca = readFileSync(caFile);
      } catch (error) {
        throw new UsageError(`--ca ${caFile}: ${(error as Error).message}`);
      }
      if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----'))
        throw new UsageError(`--ca ${caFile}: no PEM certificate in this file`);
    }
    const subprotocols = values(args, 'protocol')
      .flatMap((item) => item.split(','))
      .map((item) => item.trim())
      .filter((item) => item !== '');
    for (const protocol of subprotocols) {
      if (!isToken(protocol))
        throw new UsageError(
          `--protocol: ${JSON.stringify(protocol)} is not a valid subprotocol token`,
        );
    }
    const timeoutMs = wholeNumber(args, 'timeout-ms');
    if (timeoutMs === 0) throw new UsageError('--timeout-ms must be above 0');
    const captureFile = value(args, 'capture');
    const captureMaxBytes = wholeNumber(args, 'capture-max-bytes');
    if (captureMaxBytes !== undefined && captureFile === undefined)
      throw new UsageError('--capture-max-bytes needs --capture FILE');
    if (captureFile !== undefined) {
      try {
        capture = createCapture(
          captureFile,
          captureMaxBytes === undefined ? {} : { maxBytes: captureMaxBytes },
        );
      } catch (error) {
        throw new UsageError(`--capture ${captureFile}: ${(error as Error).message}`);
      }
    }
    options = {
      send: value(args, 'send'),
      origin: value(args, 'origin'),
      headers: parseHeaders(values(args, 'header')),
      subprotocols,
      ca,
      timeoutMs,
      perMessageDeflate: args.flags.get('no-deflate') !== true,
      capture,
    };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`wsgate doctor: ${error.message} (see wsgate doctor --help)\n`);
    return DoctorExitCode.usage;
  }
  let report: Awaited<ReturnType<typeof doctor>>;
  try {
    report = await doctor(url, options);
  } finally {
    await capture?.close();
  }
  if (capture !== undefined) {
    report.capture = {
      file: capture.file,
      bytesWritten: capture.bytesWritten,
      truncated: capture.truncated,
      ...(capture.note === undefined ? {} : { note: capture.note }),
    };
  }
  io.stdout(
    json
      ? `${JSON.stringify(report, null, 2)}\n`
      : renderReport(report, { color: io.color, verbose }),
  );
  return report.exitCode;
}
