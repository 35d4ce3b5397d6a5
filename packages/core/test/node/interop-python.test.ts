import { createServer as createHttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  closeHttpServer,
  listenOnLoopback,
  pythonMessageLimitProbe,
  pythonWebsocketsVersion,
  runPythonScript,
  waitFor,
} from '@wsgate/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServer,
  type HandshakeRequest,
  type WebSocketConnection,
  WebSocketServer,
} from '../../src/index.js';

// Interop with a real client from another ecosystem: Python `websockets` (asyncio), the Debian
// package python3-websockets, run by Debian's python3 (a pyenv or venv python on PATH would
// not see it). The scenario lives in ../fixtures/python_websockets_client.py.

const SCRIPT = fileURLToPath(new URL('../fixtures/python_websockets_client.py', import.meta.url));
const MiB = 1024 * 1024;

interface Observed {
  readonly request: HandshakeRequest;
  readonly connection: WebSocketConnection;
  readonly pings: string[];
  readonly pongs: string[];
  close?: { code: number; reason: string };
}

describe('Python websockets as a client of a wsgate server', () => {
  const http = createHttpServer((_request, response) => response.end('not a websocket'));
  const wss = new WebSocketServer({ path: '/echo', heartbeatIntervalMs: 0 });
  const sockets: Socket[] = [];
  const observed: Observed[] = [];
  let port = 0;
  let outcome: Record<string, unknown> = {};
  let version = '';
  let setupError: unknown;

  beforeAll(async () => {
    http.on('connection', (socket) => sockets.push(socket));
    wss.attach(http);
    wss.on('connection', (connection, request) => {
      const seen: Observed = { request, connection, pings: [], pongs: [] };
      observed.push(seen);
      connection.on('ping', (payload) => seen.pings.push(payload.toString()));
      connection.on('pong', (payload) => seen.pongs.push(payload.toString()));
      connection.on('close', (code, reason) => {
        seen.close = { code, reason };
      });
      connection.on('message', (data, isBinary) => {
        if (!isBinary && data === 'please ping me') {
          connection.ping('from-server');
          connection.send('pinged');
        } else if (!isBinary && data === 'close me') {
          connection.close(4001, 'server says bye');
        } else {
          connection.send(data, { binary: isBinary });
        }
      });
    });
    port = await listenOnLoopback(http);
    // A missing prerequisite or a failed run is kept and thrown by every test below, so that
    // each one fails with the reason (a failing hook would only mark them as skipped).
    try {
      version = pythonWebsocketsVersion();
      outcome = await runPythonScript(SCRIPT, [`ws://127.0.0.1:${port}`], 90_000);
    } catch (error) {
      setupError = error;
    }
  }, 120_000);

  function scenario(): Record<string, unknown> {
    if (setupError !== undefined) throw setupError;
    return outcome;
  }

  afterAll(async () => {
    await wss.close({ timeoutMs: 500 });
    await closeHttpServer(http);
  });

  it('ran the scenario with Python websockets 10 or later', () => {
    const result = scenario();
    expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(10);
    expect(result.websockets_version).toBe(version);
  });

  it('negotiates permessage-deflate, which Python websockets offers by default', () => {
    const result = scenario();
    expect(result.offered_extensions).toMatch(/^permessage-deflate\b/);
    expect(result.accepted_extensions).toBe('permessage-deflate');
    expect(result.extension_names).toEqual(['permessage-deflate']);
    const first = observed[0];
    expect(first?.request.path).toBe('/echo');
    expect(first?.request.query.get('from')).toBe('python');
    expect(first?.connection.extensions).toBe('permessage-deflate');
  });

  it('echoes text as text and binary as binary, empty ones included', () => {
    const result = scenario();
    expect(result.text).toEqual({
      sent_type: 'str',
      received_type: 'str',
      length: 14,
      equal: true,
    });
    expect(result.binary).toEqual({
      sent_type: 'bytes',
      received_type: 'bytes',
      length: 256,
      equal: true,
    });
    expect(result.empty_text).toMatchObject({ received_type: 'str', length: 0, equal: true });
    expect(result.empty_binary).toMatchObject({ received_type: 'bytes', length: 0, equal: true });
  });

  it('echoes a 16 MiB text message and 2 MiB of random bytes, compressed on the wire', () => {
    const result = scenario();
    expect(result.large_text).toMatchObject({ received_type: 'str', equal: true });
    expect(result.random_binary).toMatchObject({
      received_type: 'bytes',
      length: 2 * MiB,
      equal: true,
    });
    // 16 MiB of text crossed each way, with the random 2 MiB: compressed, far less went over TCP.
    const read = sockets.reduce((sum, socket) => sum + socket.bytesRead, 0);
    const written = sockets.reduce((sum, socket) => sum + socket.bytesWritten, 0);
    expect(read).toBeLessThan(6 * MiB);
    expect(written).toBeLessThan(6 * MiB);
  });

  it('reassembles a message the Python client sends in fragments', () => {
    const result = scenario();
    expect(result.fragmented).toEqual({ received: 'fragmented téxt' });
  });

  it('answers a Python ping with a pong, and gets a pong for its own ping', async () => {
    const result = scenario();
    expect(result.ping_answered).toBe(true);
    expect(observed[0]?.pings).toEqual(['python-ping']);
    expect(result.after_server_ping).toBe('pinged');
    await waitFor(() => (observed[0]?.pongs.length ?? 0) > 0, { what: 'the pong' });
    expect(observed[0]?.pongs).toEqual(['from-server']);
  });

  it('gets the code and reason of a Python close, and echoes the code back', async () => {
    const result = scenario();
    await waitFor(() => observed[0]?.close !== undefined, { what: 'the close event' });
    expect(observed[0]?.close).toEqual({ code: 4000, reason: 'python says bye' });
    expect(result.client_close).toEqual({ code: 4000, reason: '' });
  });

  it('closes with a code and reason that Python reads', async () => {
    const result = scenario();
    expect(result.server_close).toEqual({ code: 4001, reason: 'server says bye' });
    await waitFor(() => observed[1]?.close !== undefined, { what: 'the close event' });
    expect(observed[1]?.close).toEqual({ code: 4001, reason: 'server says bye' });
  });

  it('refuses an unknown path with 404 and the code in X-WSGate-Error', () => {
    const result = scenario();
    expect(result.refused).toEqual({ status: 404, code: 'WSG_PATH_NOT_FOUND' });
  });

  it('negotiates nothing when Python turns compression off, and still echoes', () => {
    const result = scenario();
    expect(result.uncompressed).toEqual({
      accepted_extensions: null,
      echo: { sent_type: 'str', received_type: 'str', length: 5, equal: true },
    });
    expect(observed[2]?.connection.extensions).toBe('');
  });
});

describe('Python websockets at the default message limit of 16 MiB', () => {
  // Random bytes do not compress: Python websockets (zlib, memLevel 5) sends 16 MiB of them as
  // about 16.04 MiB of DEFLATE data, which inflates to exactly the limit.
  it('echoes 16 MiB of random bytes, compressed and not, and closes with 1009 for one byte more', async () => {
    const server = await createServer({ port: 0, path: '/echo', heartbeatIntervalMs: 0 });
    server.on('connection', (connection) => {
      connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
    });
    try {
      const probe = await pythonMessageLimitProbe(
        `ws://127.0.0.1:${server.address()?.port}/echo`,
        16 * MiB,
      );
      for (const outcome of [probe.compressed, probe.uncompressed]) {
        expect(outcome.at_limit).toEqual({ length: 16 * MiB, equal: true });
        expect(outcome.over_limit.code).toBe(1009);
        expect(outcome.over_limit.reason).toMatch(/^WSG_MESSAGE_TOO_BIG/);
      }
    } finally {
      await server.close({ timeoutMs: 500 });
    }
  }, 180_000);
});
