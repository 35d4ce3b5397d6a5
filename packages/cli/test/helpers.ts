import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import {
  type AddressInfo,
  createConnection,
  createServer as createNetServer,
  type Server,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeAcceptKey, encodeFrame, FrameParser } from '@wsgate/core/protocol';
import { expect } from 'vitest';
import { type DoctorOptions, type DoctorReport, doctor, main } from '../src/main.js';

/** Things a test started, stopped after it. */
export class Cleanup {
  private readonly tasks: Array<() => unknown> = [];

  add(task: () => unknown): void {
    this.tasks.push(task);
  }

  async run(): Promise<void> {
    for (const task of this.tasks.splice(0).reverse()) await task();
  }
}

/** Listens on 127.0.0.1, port 0, and resolves with the port. */
export function listen(server: Server | HttpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops a server, destroying its open connections. */
export function stop(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    (server as HttpServer).closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** A raw TCP server: each socket goes to `onSocket`; every socket is destroyed on stop. */
export async function rawServer(
  onSocket: (socket: Socket) => void,
  cleanup: Cleanup,
): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  const port = await listen(server);
  cleanup.add(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return port;
}

/** Reads an HTTP request head from a raw socket; resolves with it and the key it carries. */
export function readRequestHead(
  socket: Socket,
): Promise<{ head: string; key: string; rest: Buffer }> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const head = buffered.subarray(0, end + 4).toString('latin1');
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
      resolve({ head, key, rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
  });
}

/** A valid 101 for `key`, with extra header lines. */
export function switchingProtocols(key: string, extra: readonly string[] = []): string {
  return [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${computeAcceptKey(key)}`,
    ...extra,
    '',
    '',
  ].join('\r\n');
}

/** A temporary directory, removed by the cleanup. */
export function tempDir(cleanup: Cleanup, prefix = 'wsgate-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestCertificates {
  readonly dir: string;
  /** PEM of the test CA that signs `leaf`, `expired` and `otherHost`. */
  readonly caFile: string;
  readonly ca: string;
  /** Valid, for 127.0.0.1 and localhost, signed by the test CA. */
  readonly leaf: { key: string; cert: string };
  /** Self-signed, for 127.0.0.1. */
  readonly selfSigned: { key: string; cert: string };
  /** Signed by the test CA, valid from 2020-01-01 to 2020-02-01. */
  readonly expired: { key: string; cert: string };
  /** Signed by the test CA, for other.example only. */
  readonly otherHost: { key: string; cert: string };
  /** Signed by a second CA that nobody trusts. */
  readonly untrusted: { key: string; cert: string };
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/**
 * Test certificates made with the openssl CLI (which must be installed). The expired one is
 * signed with `openssl ca -startdate/-enddate`, since `openssl x509 -days` cannot go back in time.
 */
export function makeCertificates(dir: string): TestCertificates {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
  } catch {
    throw new Error('these tests need the openssl command line tool (apt-get install -y openssl)');
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const caExtensions = [
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '30',
    '-subj',
    '/CN=wsgate test CA',
    ...caExtensions,
  ]);
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'other-ca.key',
    '-out',
    'other-ca.crt',
    '-days',
    '30',
    '-subj',
    '/CN=wsgate untrusted CA',
    ...caExtensions,
  ]);
  writeFileSync(join(dir, 'ip.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(join(dir, 'other.ext'), 'subjectAltName=DNS:other.example\n');
  const request = (name: string, subject: string): void =>
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  const sign = (name: string, ca: string, extensions: string): void =>
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '30',
      '-extfile',
      extensions,
    ]);
  request('leaf', '/CN=127.0.0.1');
  sign('leaf', 'ca', 'ip.ext');
  request('other', '/CN=other.example');
  sign('other', 'ca', 'other.ext');
  request('untrusted', '/CN=127.0.0.1');
  sign('untrusted', 'other-ca', 'ip.ext');
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'self.key',
    '-out',
    'self.crt',
    '-days',
    '30',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  // An expired certificate: `openssl ca` takes explicit start and end dates.
  request('expired', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = test_ca',
      '[ test_ca ]',
      'database = index.txt',
      'serial = serial',
      'new_certs_dir = .',
      'default_md = sha256',
      'policy = policy_any',
      'unique_subject = no',
      '[ policy_any ]',
      'commonName = supplied',
      '[ leaf_ext ]',
      'subjectAltName = IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  openssl(dir, [
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-cert',
    'ca.crt',
    '-keyfile',
    'ca.key',
    '-in',
    'expired.csr',
    '-out',
    'expired.crt',
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200201000000Z',
    '-extensions',
    'leaf_ext',
    '-notext',
  ]);
  const pair = (name: string): { key: string; cert: string } => ({
    key: readFileSync(join(dir, `${name}.key`), 'utf8'),
    cert: readFileSync(join(dir, `${name}.crt`), 'utf8'),
  });
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    leaf: pair('leaf'),
    selfSigned: pair('self'),
    expired: pair('expired'),
    otherHost: pair('other'),
    untrusted: pair('untrusted'),
  };
}

const BIN = fileURLToPath(new URL('../bin/wsgate.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `wsgate` binary as a user would; stdout is a pipe, so no colour by default. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ClientFrame {
  readonly opcode: number;
  readonly payload: Buffer;
  readonly masked: boolean;
}

/**
 * A raw WebSocket server for peers that misbehave on purpose: it answers the handshake with
 * `answer(key)` (a valid 101 by default), then hands each client frame to `onFrame`.
 */
export function rawWebSocketServer(
  cleanup: Cleanup,
  onFrame: (socket: Socket, frame: ClientFrame) => void,
  answer: (key: string) => string = (key) => switchingProtocols(key),
): Promise<number> {
  return rawServer((socket) => {
    void readRequestHead(socket).then(({ key, rest }) => {
      socket.write(Buffer.from(answer(key), 'latin1'));
      let current: { opcode: number; masked: boolean; pieces: Buffer[] } | undefined;
      const parser = new FrameParser({
        onFrameHeader: (header) => {
          current = { opcode: header.opcode, masked: header.masked, pieces: [] };
          return true;
        },
        onFramePayload: (piece, last) => {
          current?.pieces.push(Buffer.from(piece));
          if (last && current !== undefined) {
            const frame = {
              opcode: current.opcode,
              masked: current.masked,
              payload: Buffer.concat(current.pieces),
            };
            current = undefined;
            onFrame(socket, frame);
          }
          return true;
        },
        onFrameLengthInvalid: () => {},
      });
      socket.on('data', (chunk: Buffer) => parser.push(chunk));
      if (rest.length > 0) parser.push(rest);
    });
  }, cleanup);
}

/** An unmasked server frame. */
export function serverFrame(opcode: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  return Buffer.concat(encodeFrame(opcode, payload));
}

/** The command-line flags that ask `wsgate doctor` for the same probe as these options. */
function flagsFor(options: DoctorOptions, caFile: string | undefined): string[] {
  const flags: string[] = [];
  if (options.send !== undefined) flags.push(`--send=${options.send}`);
  if (options.origin !== undefined) flags.push('--origin', options.origin);
  for (const [name, value] of Object.entries(options.headers ?? {}))
    flags.push('--header', `${name}: ${value}`);
  if (options.subprotocols !== undefined && options.subprotocols.length > 0)
    flags.push('--protocol', options.subprotocols.join(','));
  if (options.timeoutMs !== undefined) flags.push('--timeout-ms', String(options.timeoutMs));
  if (options.perMessageDeflate === false) flags.push('--no-deflate');
  if (caFile !== undefined) flags.push('--ca', caFile);
  return flags;
}

/**
 * Runs the doctor as a library call, then the same probe as `wsgate doctor --json`, and checks
 * that both agree on the exit code and the diagnosis. Returns the library's report.
 * (`lookup` has no command-line flag: with it, only the library call runs.)
 */
export async function probe(
  url: string,
  options: DoctorOptions = {},
  cli: { readonly caFile?: string } = {},
): Promise<DoctorReport> {
  if (options.ca !== undefined && cli.caFile === undefined)
    throw new Error('probe() with a ca needs the same CA as a file, for --ca');
  const report = await doctor(url, options);
  if (options.lookup === undefined) {
    let out = '';
    const code = await main(['doctor', url, '--json', ...flagsFor(options, cli.caFile)], {
      stdout: (text) => {
        out += text;
      },
      stderr: (text) => {
        throw new Error(`wsgate doctor wrote to stderr: ${text}`);
      },
      color: false,
    });
    const json = JSON.parse(out) as DoctorReport;
    expect(code, `exit code of wsgate doctor --json (${json.diagnosis?.summary})`).toBe(
      report.exitCode,
    );
    expect(json.exitCode).toBe(report.exitCode);
    expect(json.healthy).toBe(report.healthy);
    expect(json.diagnosis?.code, 'diagnosis code in --json').toBe(report.diagnosis?.code);
    expect(json.diagnosis?.step, 'failing step in --json').toBe(report.diagnosis?.step);
    expect(json.diagnosis?.serverCode).toBe(report.diagnosis?.serverCode);
  }
  return report;
}

/**
 * A loopback port whose connection attempts time out, the way a firewall that drops packets
 * makes them: a listener in a child process whose event loop is blocked (so it never accepts),
 * with a backlog of 1 filled by two connections the kernel completed. Linux then drops further
 * SYNs to the port (the accept queue is full) and `connect` waits. Loopback only, no root.
 */
export async function unansweredPort(cleanup: Cleanup): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const server = require('node:net').createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  require('node:fs').writeSync(1, server.address().port + '\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanup.add(() => {
    child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`the blocked listener exited (${code})`)));
  });
  const fillers: Socket[] = [];
  cleanup.add(() => {
    for (const socket of fillers) socket.destroy();
  });
  // Connect until one attempt hangs: the accept queue is then full. A dropped SYN is sent again
  // after about a second and dropped again, so an attempt still pending after 1.5 s is not just
  // a slow machine.
  for (let i = 0; i < 16; i++) {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    fillers.push(socket);
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 1_500);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) return port;
  }
  throw new Error(
    `connections to 127.0.0.1:${port} never started to hang: the backlog is not bounded`,
  );
}
