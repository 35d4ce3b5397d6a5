import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@wsgate/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  encodeEnhancedPacketBlock,
  encodeInterfaceDescriptionBlock,
  encodeSectionHeaderBlock,
} from '../../src/capture/pcapng.js';
import { TcpFlow } from '../../src/capture/tcp-flow.js';
import {
  connect,
  createCapture,
  createServer,
  type ServerOptions,
  type WebSocketConnection,
  WebSocketServer,
} from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wsgate-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const stops: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/**
 * Runs tshark on a capture. tshark is a test dependency (Debian package `tshark`, installed
 * by .ci/run): without it these tests fail with this message rather than pass unchecked.
 */
let tsharkChecked = false;
function tshark(file: string, port: number, args: readonly string[]): string {
  if (!tsharkChecked) {
    try {
      execFileSync('tshark', ['--version'], { stdio: 'pipe' });
    } catch {
      throw new Error(
        'tshark is not installed: the capture tests read the files with it. Install it: apt-get install -y tshark',
      );
    }
    tsharkChecked = true;
  }
  // Decode the server port as HTTP, so tshark follows the upgrade to WebSocket on any port.
  return execFileSync('tshark', ['-r', file, '-d', `tcp.port==${port},http`, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function fields(file: string, port: number, filter: string, names: readonly string[]): string[][] {
  const out = tshark(file, port, [
    '-Y',
    filter,
    '-T',
    'fields',
    '-E',
    'separator=|',
    ...names.flatMap((name) => ['-e', name]),
  ]);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('|'));
}

function nextMessage(connection: WebSocketConnection): Promise<string | Buffer> {
  return new Promise((resolve) => connection.once('message', (data) => resolve(data)));
}

async function echoServer(options: ServerOptions): Promise<WebSocketServer> {
  const server = await createServer(options);
  server.on('connection', (connection) => {
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
  stops.push(() => server.close({ timeoutMs: 100 }));
  return server;
}

async function talk(url: string, options: Parameters<typeof connect>[1] = {}): Promise<void> {
  const client = await connect(url, { perMessageDeflate: false, ...options });
  const first = nextMessage(client);
  client.send('hello capture');
  await first;
  const second = nextMessage(client);
  client.send(Buffer.from([1, 2, 3, 4]));
  await second;
  const closed = new Promise((resolve) => client.once('close', resolve));
  client.close(1000, 'bye');
  await closed;
}

describe('capture', () => {
  it("records a standalone server's connections as pcapng that tshark dissects as WebSocket", async () => {
    const file = join(dir, 'server.pcapng');
    const capture = createCapture(file);
    const server = await echoServer({ capture });
    const port = server.address()?.port as number;
    await talk(`ws://127.0.0.1:${port}/chat`);
    await server.close();
    await capture.close();

    expect(fields(file, port, 'http.request', ['http.request.method', 'http.request.uri'])).toEqual(
      [['GET', '/chat']],
    );
    expect(fields(file, port, 'http.response', ['http.response.code'])).toEqual([['101']]);
    // Client frames are masked, server frames not; text, binary, then the closing handshake.
    expect(
      fields(file, port, 'websocket', [
        'websocket.opcode',
        'websocket.mask',
        'websocket.payload.text',
      ]),
    ).toEqual([
      ['1', '1', 'hello capture'],
      ['1', '0', 'hello capture'],
      ['2', '1', ''],
      ['2', '0', ''],
      ['8', '1', ''],
      ['8', '0', ''],
    ]);
    const flags = fields(file, port, 'tcp.flags.syn == 1 || tcp.flags.fin == 1', ['tcp.flags.str']);
    expect(flags.map(([value]) => value?.replace(/·/g, '').trim())).toEqual([
      'S',
      'AS',
      'AF',
      'AF',
    ]);
    // Real addresses and ports, and no TCP problem for tshark's analysis.
    expect(
      fields(file, port, 'tcp.flags.syn == 1 && tcp.flags.ack == 0', [
        'ip.src',
        'ip.dst',
        'tcp.dstport',
      ]),
    ).toEqual([['127.0.0.1', '127.0.0.1', String(port)]]);
    expect(tshark(file, port, ['-Y', 'tcp.analysis.flags && !tcp.analysis.window_update'])).toBe(
      '',
    );
    expect(capture.connections).toBe(1);
  });

  it('records a client connection given { file } in connect() options', async () => {
    const server = await echoServer({});
    const port = server.address()?.port as number;
    const file = join(dir, 'client.pcapng');
    await talk(`ws://127.0.0.1:${port}/`, { capture: { file } });
    // The capture closes with the socket, and its last writes reach the file after 'close'.
    const opcodes = (): string[] => {
      try {
        return fields(file, port, 'websocket', ['websocket.opcode']).map(
          ([opcode]) => opcode ?? '',
        );
      } catch {
        return []; // A block still being written: tshark reads the file again on the next poll.
      }
    };
    await waitFor(() => opcodes().length >= 6, {
      timeoutMs: 5_000,
      intervalMs: 50,
      what: 'the six WebSocket frames in the capture file',
    });
    expect(opcodes()).toEqual(['1', '1', '2', '2', '8', '8']);
  });

  it('keeps one TCP stream per connection when connections share a capture', async () => {
    const server = await echoServer({});
    const port = server.address()?.port as number;
    const file = join(dir, 'shared.pcapng');
    const capture = createCapture(file);
    await talk(`ws://127.0.0.1:${port}/a`, { capture });
    await talk(`ws://127.0.0.1:${port}/b`, { capture });
    await capture.close();
    const streams = fields(file, port, 'http.request', ['tcp.stream', 'http.request.uri']);
    expect(streams).toEqual([
      ['0', '/a'],
      ['1', '/b'],
    ]);
  });

  it('records upgrades from an attached http server, with the request head rebuilt and noted', async () => {
    const file = join(dir, 'attached.pcapng');
    const capture = createCapture(file);
    const http = createHttpServer();
    const wss = new WebSocketServer({ capture });
    wss.attach(http);
    wss.on('connection', (connection) => connection.on('message', (data) => connection.send(data)));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          http.closeAllConnections();
          http.close(() => resolve());
        }),
    );
    await talk(`ws://127.0.0.1:${port}/attached`);
    await wss.close();
    await capture.close();
    const request = fields(file, port, 'http.request', ['http.request.uri', 'frame.comment']);
    expect(request[0]?.[0]).toBe('/attached');
    expect(request[0]?.[1]).toMatch(/request head rebuilt by wsgate/);
    expect(fields(file, port, 'websocket', ['websocket.opcode']).length).toBe(6);
  });

  it('records a refused handshake too', async () => {
    const file = join(dir, 'refused.pcapng');
    const capture = createCapture(file);
    const server = await echoServer({ capture, path: '/chat' });
    const port = server.address()?.port as number;
    await expect(connect(`ws://127.0.0.1:${port}/nope`)).rejects.toThrow(/WSG_RESPONSE_NOT_FOUND/);
    await server.close();
    await capture.close();
    expect(
      fields(file, port, 'http.response', ['http.response.code', 'http.response.line']),
    ).toEqual([['404', expect.stringContaining('X-WSGate-Error: WSG_PATH_NOT_FOUND')]]);
  });

  it('stops at maxBytes: the file stays within the bound and ends with a note tshark shows', async () => {
    const file = join(dir, 'bounded.pcapng');
    const notes: string[] = [];
    const capture = createCapture(file, { maxBytes: 8192, onLimit: (note) => notes.push(note) });
    const server = await echoServer({ capture });
    const port = server.address()?.port as number;
    const client = await connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    for (let i = 0; i < 4; i++) {
      const reply = nextMessage(client);
      client.send(Buffer.alloc(3000, i));
      await reply;
    }
    const closed = new Promise((resolve) => client.once('close', resolve));
    client.close();
    await closed;
    await server.close();
    await capture.close();
    expect(statSync(file).size).toBeLessThanOrEqual(8192);
    expect(statSync(file).size).toBe(capture.bytesWritten);
    expect(capture.truncated).toBe(true);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/reached maxBytes \(8192 bytes\)/);
    const comments = fields(file, port, 'frame.comment', [
      'frame.comment',
      'frame.len',
      'frame.cap_len',
    ]);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.[0]).toMatch(/wsgate stopped this capture here/);
    expect(Number(comments[0]?.[2])).toBeLessThan(Number(comments[0]?.[1]));
  });

  it('is refused below the minimum bound, and fails at once for a file it cannot create', () => {
    expect(() => createCapture(join(dir, 'tiny.pcapng'), { maxBytes: 100 })).toThrow(
      /at least 4096/,
    );
    expect(() => createCapture(join(dir, 'missing', 'x.pcapng'))).toThrow(/ENOENT/);
  });

  it('a server whose capture file cannot be created warns and keeps serving', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    stops.push(() => process.off('warning', onWarning));
    const server = await echoServer({ capture: { file: join(dir, 'missing', 'x.pcapng') } });
    await talk(`ws://127.0.0.1:${server.address()?.port}/`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.join('\n')).toMatch(/capture to .*x\.pcapng disabled: ENOENT/);
  });

  it('encodes IPv6 flows that tshark dissects as WebSocket', () => {
    const file = join(dir, 'ipv6.pcapng');
    const flow = TcpFlow.create(
      { address: '2001:db8::1', port: 50000 },
      { address: '2001:db8::2', port: 8080 },
    ) as TcpFlow;
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const frames = [
      ...flow.open(),
      ...flow.send(
        'client',
        new TextEncoder().encode(
          `GET /v6 HTTP/1.1\r\nHost: [2001:db8::2]:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
      ),
      ...flow.send(
        'server',
        new TextEncoder().encode(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
        ),
      ),
      // RFC 6455 §5.7: a single-frame unmasked text message "Hello".
      ...flow.send('server', Uint8Array.of(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f)),
      ...flow.finish('server'),
      ...flow.finish('client'),
    ];
    const blocks = [
      encodeSectionHeaderBlock({ application: 'wsgate test' }),
      encodeInterfaceDescriptionBlock(),
      ...frames.map((frame, i) => encodeEnhancedPacketBlock(1_700_000_000_000_000 + i, frame)),
    ];
    writeFileSync(file, Buffer.concat(blocks));
    expect(fields(file, 8080, 'websocket', ['ipv6.src', 'websocket.payload.text'])).toEqual([
      ['2001:db8::2', 'Hello'],
    ]);
    expect(readFileSync(file).subarray(0, 4)).toEqual(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]));
  });
});
