import http2 from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { WebSocketServer } from '@wsgate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  listen,
  makeCertificates,
  probe,
  stop,
  type TestCertificates,
  tempDir,
} from './helpers.js';

const cleanup = new Cleanup();
const certificatesCleanup = new Cleanup();
let certificates: TestCertificates;

beforeAll(() => {
  certificates = makeCertificates(tempDir(certificatesCleanup, 'wsgate-certs-'));
});
afterAll(() => certificatesCleanup.run());
afterEach(() => cleanup.run());

/** An echo endpoint on an HTTP/2 server that also takes HTTP/1.1, or on an https server. */
async function echoOn(kind: 'h2' | 'h2 without extended CONNECT' | 'https'): Promise<number> {
  const tls = certificates.leaf;
  const server =
    kind === 'https'
      ? createHttpsServer(tls)
      : http2.createSecureServer({ ...tls, allowHTTP1: true });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const wss = new WebSocketServer({ path: '/echo' });
  wss.attach(server);
  // Sessions from now on get no SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3).
  if (kind === 'h2 without extended CONNECT')
    (server as http2.Http2SecureServer).updateSettings({ enableConnectProtocol: false });
  wss.on('connection', (connection) =>
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary })),
  );
  const port = await listen(server);
  cleanup.add(async () => {
    await wss.close({ timeoutMs: 100 });
    for (const session of sessions) session.destroy();
    await stop(server as never);
  });
  return port;
}

const withCa = (port: number) =>
  probe(`wss://127.0.0.1:${port}/echo`, { ca: certificates.ca }, { caFile: certificates.caFile });

describe('doctor: WebSockets over HTTP/2 (RFC 8441)', () => {
  it('reports extended CONNECT offered over ALPN h2 and a WebSocket over HTTP/2 that opens and closes', async () => {
    const report = await withCa(await echoOn('h2'));
    expect(report.healthy).toBe(true);
    expect(report.http2).toEqual({ offered: true, connectProtocol: true, websocket: 'ok' });
    expect(report.notes.join('\n')).toMatch(
      /HTTP\/2: offered with extended CONNECT .*closed cleanly/,
    );
  });

  it('reports HTTP/2 without SETTINGS_ENABLE_CONNECT_PROTOCOL, and does not try a WebSocket over it', async () => {
    const report = await withCa(await echoOn('h2 without extended CONNECT'));
    expect(report.healthy).toBe(true);
    expect(report.http2).toEqual({ offered: true, connectProtocol: false, websocket: undefined });
    expect(report.notes.join('\n')).toMatch(/without SETTINGS_ENABLE_CONNECT_PROTOCOL/);
  });

  it('reports HTTP/2 not offered by an https server, and stays healthy', async () => {
    const report = await withCa(await echoOn('https'));
    expect(report.healthy).toBe(true);
    expect(report.http2).toMatchObject({ offered: false, connectProtocol: false });
    expect(report.notes.join('\n')).toMatch(/HTTP\/2: not offered/);
  });
});
