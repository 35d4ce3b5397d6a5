import { execFileSync, spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, WebSocketServer } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type DoctorReport, doctor, main, renderReport } from '../src/main.js';
import {
  Cleanup,
  type CliResult,
  listen,
  makeCertificates,
  runCli,
  stop,
  tempDir,
} from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function echo(
  options: Parameters<typeof createServer>[0] = {},
): Promise<{ server: WebSocketServer; port: number }> {
  const server = await createServer(options);
  server.on('connection', (connection) => {
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
  cleanup.add(() => server.close({ timeoutMs: 100 }));
  return { server, port: server.address()?.port as number };
}

/** Runs `wsgate` on a pseudo-terminal (util-linux script(1)), as a person at a terminal would. */
function runOnTty(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const bin = fileURLToPath(new URL('../bin/wsgate.js', import.meta.url));
  const command = [process.execPath, bin, ...args].map((arg) => `'${arg}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '', ...env },
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

/** tshark's reading of a capture, the port decoded as HTTP. */
function tshark(file: string, port: number, args: readonly string[]): string {
  try {
    return execFileSync('tshark', ['-r', file, '-d', `tcp.port==${port},http`, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    throw new Error(
      `tshark could not read the capture (is it installed? apt-get install -y tshark): ${String(error)}`,
    );
  }
}

/** The escape that starts an ANSI colour sequence. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

describe('wsgate doctor (the command line)', () => {
  it('exits 0 for a healthy echo server with --send, in plain text without colour on a pipe', async () => {
    const { port } = await echo({ path: '/chat' });
    const result = await runCli(['doctor', `ws://127.0.0.1:${port}/chat`, '--send', 'hello']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✔ echo +echoed in/);
    expect(result.stdout).toMatch(/healthy: ws:\/\/127\.0\.0\.1:\d+\/chat completed every step/);
    expect(result.stdout).not.toMatch(ANSI);
  });

  it('--json prints the report: exit code 0 and every step', async () => {
    const { port } = await echo();
    const result = await runCli(['doctor', `ws://127.0.0.1:${port}/`, '--send', 'hello', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report).toMatchObject({ healthy: true, exitCode: 0, url: `ws://127.0.0.1:${port}/` });
    expect(report.roundTrip?.received).toBe('"hello"');
    expect(report.steps.filter((step) => step.status === 'ok')).toHaveLength(8);
  });

  it('--json for a failing endpoint: exit 1 and the diagnosis with its code', async () => {
    const { port } = await echo({ path: '/chat' });
    const result = await runCli(['doctor', `ws://127.0.0.1:${port}/missing`, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report.diagnosis).toMatchObject({
      code: 'WSG_RESPONSE_NOT_FOUND',
      step: 'upgrade',
      serverCode: 'WSG_PATH_NOT_FOUND',
    });
    expect(report.response?.status).toBe(404);
  });

  it('--json for connection refused: exit 1 and WSG_CONNECT_REFUSED', async () => {
    const { server, port } = await echo();
    await server.close();
    const result = await runCli(['doctor', `ws://127.0.0.1:${port}/`, '--json']);
    expect(result.code).toBe(1);
    expect((JSON.parse(result.stdout) as DoctorReport).diagnosis?.code).toBe('WSG_CONNECT_REFUSED');
  });

  it('a scheme typo exits 2 with the URL that was probably meant', async () => {
    const result = await runCli(['doctor', 'wss//127.0.0.1:1/chat']);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/WSG_URL_INVALID/);
    expect(result.stdout).toMatch(/Did you mean wss:\/\/127\.0\.0\.1:1\/chat/);
  });

  it('usage errors exit 2 and say what is wrong', async () => {
    const missing = await runCli(['doctor']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/a URL is required/);
    const unknown = await runCli(['doctor', 'ws://127.0.0.1:1/', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option --frobnicate/);
    const header = await runCli(['doctor', 'ws://127.0.0.1:1/', '--header', 'no colon here']);
    expect(header.code).toBe(2);
    expect(header.stderr).toMatch(/--header takes 'Name: value'/);
    const ca = await runCli(['doctor', 'wss://127.0.0.1:1/', '--ca', '/nonexistent/ca.pem']);
    expect(ca.code).toBe(2);
    expect(ca.stderr).toMatch(/--ca \/nonexistent\/ca\.pem: ENOENT/);
    const timeout = await runCli(['doctor', 'ws://127.0.0.1:1/', '--timeout-ms', 'soon']);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toMatch(/--timeout-ms takes a whole number/);
  });

  it('wsgate help documents the doctor and its exit codes', async () => {
    const result = await runCli(['help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/doctor +diagnose a WebSocket endpoint/);
    expect(result.stdout).toMatch(
      /Exit codes:\n +0 +healthy[^\n]*\n +1 +the endpoint fails[^\n]*\n +2 +usage error/,
    );
    expect(result.stdout).toMatch(/--origin ORIGIN/);
    expect(result.stdout).toMatch(/--header 'Name: value'/);
  });

  it('--verbose prints the request and response heads and the frames in hex', async () => {
    const { port } = await echo();
    const result = await runCli([
      'doctor',
      `ws://127.0.0.1:${port}/v`,
      '--send',
      'hi',
      '--verbose',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /→ +GET \/v \(upgrade request\)\n +GET \/v HTTP\/1\.1\n +Host: 127\.0\.0\.1:\d+/,
    );
    expect(result.stdout).toMatch(/← +HTTP\/1\.1 101 Switching Protocols/);
    expect(result.stdout).toMatch(/→ +text frame \(FIN, masked\), 2 bytes of payload\n +81 82 /);
    expect(result.stdout).toMatch(/← +text frame \(FIN\), 2 bytes of payload\n +81 02 68 69/);
  });

  it('an http:// URL is probed as ws:// with a note, and exits 0 when healthy', async () => {
    const { port } = await echo();
    const result = await runCli(['doctor', `http://127.0.0.1:${port}/chat`, '--send', 'hi']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `! http:// was given: WebSocket URLs use ws:// (http → ws, https → wss); probing ws://127.0.0.1:${port}/chat.`,
    );
  });

  it('--verbose on a refusal prints the request and the refusal exactly as received', async () => {
    const { port } = await echo({ path: '/chat' });
    const result = await runCli(['doctor', `ws://127.0.0.1:${port}/nope`, '--verbose']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/→ +GET \/nope \(upgrade request\)\n +GET \/nope HTTP\/1\.1\n/);
    expect(result.stdout).toMatch(/Sec-WebSocket-Key: [A-Za-z0-9+/]{22}==\n/);
    expect(result.stdout).toMatch(
      /← +HTTP\/1\.1 404 Not Found\n +HTTP\/1\.1 404 Not Found\n +X-WSGate-Error: WSG_PATH_NOT_FOUND\n/,
    );
    expect(result.stdout).toMatch(/· +WSG_RESPONSE_NOT_FOUND: HTTP\/1\.1 404 Not Found/);
  });

  it('--origin and --header are sent as given', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const { port } = await echo({
      verifyUpgrade: (request) => {
        seen.push({
          origin: request.headers.origin,
          authorization: request.headers.authorization,
          custom: request.headers['x-trace'],
        });
      },
    });
    const result = await runCli([
      'doctor',
      `ws://127.0.0.1:${port}/`,
      '--origin',
      'https://app.example',
      '--header',
      'Authorization: Bearer abc',
      '--header=X-Trace: 42',
    ]);
    expect(result.code).toBe(0);
    expect(seen).toEqual([
      { origin: 'https://app.example', authorization: 'Bearer abc', custom: '42' },
    ]);
  });

  it('on a terminal the text is coloured, unless NO_COLOR is set (run under a pseudo-terminal with script(1))', async () => {
    const { port } = await echo();
    const url = `ws://127.0.0.1:${port}/tty`;
    const onTty = await runOnTty(['doctor', url]);
    expect(onTty.code).toBe(0);
    expect(onTty.stdout).toMatch(ANSI);
    expect(onTty.stdout).toMatch(/healthy/);
    const noColor = await runOnTty(['doctor', url], { NO_COLOR: '1' });
    expect(noColor.code).toBe(0);
    expect(noColor.stdout).toMatch(/healthy/);
    expect(noColor.stdout).not.toMatch(ANSI);
    const failing = await runOnTty(['doctor', 'ws:/tty']);
    expect(failing.code).toBe(2);
    expect(failing.stdout).toMatch(ANSI);
  });

  it('colours the text only when asked to (a TTY without NO_COLOR)', async () => {
    const report = await doctor('ws:/bad');
    expect(renderReport(report, { color: true, verbose: false })).toMatch(ANSI);
    expect(renderReport(report, { color: false, verbose: false })).not.toMatch(ANSI);
    let out = '';
    const code = await main(['doctor', 'ws:/bad'], {
      stdout: (text) => (out += text),
      stderr: () => {},
      color: false,
    });
    expect(code).toBe(2);
    expect(out).not.toMatch(ANSI);
  });

  it('--capture writes the exchange as pcapng that tshark dissects as WebSocket', async () => {
    const { port } = await echo();
    const file = join(tempDir(cleanup), 'doctor.pcapng');
    const result = await runCli([
      'doctor',
      `ws://127.0.0.1:${port}/cap`,
      '--send',
      'captured',
      '--capture',
      file,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Capture: ${file} (`);
    expect(statSync(file).size).toBeGreaterThan(0);
    let out: string;
    try {
      out = execFileSync(
        'tshark',
        [
          '-r',
          file,
          '-d',
          `tcp.port==${port},http`,
          '-Y',
          'websocket',
          '-T',
          'fields',
          '-e',
          'websocket.opcode',
          '-e',
          'websocket.payload.text',
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (error) {
      throw new Error(
        `tshark could not read the capture (is it installed? apt-get install -y tshark): ${String(error)}`,
      );
    }
    expect(out.split('\n').filter((line) => line !== '')).toEqual([
      '1\tcaptured',
      '1\tcaptured',
      '8\t',
      '8\t',
    ]);
  });

  it('--capture-max-bytes bounds the file and says where the capture stopped', async () => {
    const { port } = await echo();
    const file = join(tempDir(cleanup), 'bounded.pcapng');
    const result = await runCli([
      'doctor',
      `ws://127.0.0.1:${port}/`,
      '--send',
      'x'.repeat(6000),
      '--capture',
      file,
      '--capture-max-bytes',
      '4096',
    ]);
    expect(result.code).toBe(0);
    expect(statSync(file).size).toBeLessThanOrEqual(4096);
    expect(result.stdout).toMatch(
      /Capture: .*bounded\.pcapng \(\d+ bytes, pcapng\) — wsgate stopped this capture here: the file reached maxBytes \(4096 bytes\)/,
    );
    const json = await runCli([
      'doctor',
      `ws://127.0.0.1:${port}/`,
      '--send',
      'x'.repeat(6000),
      '--capture',
      file,
      '--capture-max-bytes=4096',
      '--json',
    ]);
    expect((JSON.parse(json.stdout) as DoctorReport).capture).toMatchObject({
      file,
      truncated: true,
    });
    const tooSmall = await runCli([
      'doctor',
      'ws://127.0.0.1:1/',
      '--capture',
      file,
      '--capture-max-bytes',
      '100',
    ]);
    expect(tooSmall.code).toBe(2);
    expect(tooSmall.stderr).toMatch(/at least 4096/);
  });

  it('--capture of a wss:// probe records the exchange in clear text', async () => {
    const certificates = makeCertificates(tempDir(cleanup, 'wsgate-certs-'));
    const https = createHttpsServer({ key: certificates.leaf.key, cert: certificates.leaf.cert });
    const wss = new WebSocketServer({ path: '/secure' });
    wss.attach(https);
    wss.on('connection', (connection) =>
      connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary })),
    );
    const port = await listen(https);
    cleanup.add(async () => {
      await wss.close({ timeoutMs: 100 });
      await stop(https);
    });
    const file = join(tempDir(cleanup), 'tls.pcapng');
    const result = await runCli([
      'doctor',
      `wss://127.0.0.1:${port}/secure`,
      '--ca',
      certificates.caFile,
      '--send',
      'secret but captured',
      '--capture',
      file,
    ]);
    expect(result.code).toBe(0);
    expect(
      tshark(file, port, ['-Y', 'websocket', '-T', 'fields', '-e', 'websocket.payload.text']),
    ).toContain('secret but captured');
  });

  it('doctor(url, { capture: file }) writes the file and reports it', async () => {
    const { port } = await echo();
    const file = join(tempDir(cleanup), 'library.pcapng');
    const report = await doctor(`ws://127.0.0.1:${port}/`, { capture: file });
    expect(report.exitCode).toBe(0);
    expect(report.capture).toMatchObject({ file, truncated: false });
    expect(statSync(file).size).toBe(report.capture?.bytesWritten);
  });

  it('--capture to a path that cannot be written is a usage error', async () => {
    const dir = tempDir(cleanup);
    writeFileSync(join(dir, 'file'), '');
    const result = await runCli([
      'doctor',
      'ws://127.0.0.1:1/',
      '--capture',
      join(dir, 'file', 'x.pcapng'),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--capture .*ENOTDIR/);
  });
});
