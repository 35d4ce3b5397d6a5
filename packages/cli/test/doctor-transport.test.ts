import { createServer as createNetServer, type LookupFunction } from 'node:net';
import { createServer } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Cleanup,
  listen,
  probe,
  rawServer,
  readRequestHead,
  runCli,
  unansweredPort,
} from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A port that listened a moment ago: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Name resolution that never reaches DNS: names in `table` resolve, others fail ENOTFOUND. */
function fakeLookup(table: Record<string, string>): LookupFunction {
  return ((
    hostname: string,
    options: { all?: boolean },
    callback: (...args: unknown[]) => void,
  ) => {
    const address = table[hostname];
    if (address === undefined) {
      const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: 'ENOTFOUND',
        hostname,
      });
      callback(error);
      return;
    }
    if (options.all) callback(null, [{ address, family: 4 }]);
    else callback(null, address, 4);
  }) as unknown as LookupFunction;
}

describe('doctor: DNS and TCP', () => {
  it('connection refused fails the tcp step with WSG_CONNECT_REFUSED', async () => {
    const port = await closedPort();
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.exitCode).toBe(1);
    expect(report.diagnosis?.code).toBe('WSG_CONNECT_REFUSED');
    expect(report.diagnosis?.step).toBe('tcp');
    expect(report.diagnosis?.observed[0]).toMatch(
      new RegExp(`connect\\(127\\.0\\.0\\.1:${port}\\): ECONNREFUSED`),
    );
    expect(report.diagnosis?.causes[0]).toMatch(/No server listens on port/);
  });

  it('a name that does not resolve fails the dns step with WSG_DNS_FAILED', async () => {
    const report = await probe('ws://no-such-host.invalid:8080/chat', { lookup: fakeLookup({}) });
    expect(report.exitCode).toBe(1);
    expect(report.diagnosis?.code).toBe('WSG_DNS_FAILED');
    expect(report.diagnosis?.step).toBe('dns');
    expect(report.diagnosis?.summary).toMatch(/no-such-host\.invalid did not resolve: ENOTFOUND/);
    expect(report.diagnosis?.fix[0]).toMatch(/getent hosts no-such-host\.invalid/);
    expect(report.steps.find((step) => step.name === 'tcp')?.status).toBe('not-run');
  });

  it('a name that resolves is probed at its address with its Host header', async () => {
    const server = await createServer();
    cleanup.add(() => server.close({ timeoutMs: 100 }));
    const port = server.address()?.port as number;
    const report = await probe(`ws://chat.test:${port}/`, {
      lookup: fakeLookup({ 'chat.test': '127.0.0.1' }),
    });
    expect(report.exitCode).toBe(0);
    expect(report.steps.find((step) => step.name === 'dns')?.summary).toMatch(
      /chat\.test → 127\.0\.0\.1/,
    );
    expect(report.exchange.find((entry) => entry.kind === 'head')?.text).toContain(
      `Host: chat.test:${port}\r\n`,
    );
  });

  it('a server that closes the connection during the handshake: WSG_CONNECTION_RESET', async () => {
    const port = await rawServer((socket) => {
      void readRequestHead(socket).then(() => socket.end());
    }, cleanup);
    const report = await probe(`ws://127.0.0.1:${port}/`, { timeoutMs: 1_000 });
    expect(report.diagnosis?.code).toBe('WSG_CONNECTION_RESET');
    expect(report.diagnosis?.step).toBe('upgrade');
    expect(report.diagnosis?.summary).toMatch(
      /closed the connection during the handshake without answering/,
    );
    expect(report.diagnosis?.causes[0]).toMatch(/destroys the socket instead of answering 404/);
  });

  it('a server that resets the connection during the handshake says RST', async () => {
    const port = await rawServer((socket) => {
      void readRequestHead(socket).then(() => socket.resetAndDestroy());
    }, cleanup);
    const report = await probe(`ws://127.0.0.1:${port}/`, { timeoutMs: 1_000 });
    expect(report.diagnosis?.code).toBe('WSG_CONNECTION_RESET');
    expect(report.diagnosis?.summary).toMatch(/reset the connection \(RST\)/);
  });

  it('a port whose SYNs go unanswered (a full accept queue, as behind a dropping firewall): WSG_CONNECT_TIMEOUT at the tcp step', async () => {
    const port = await unansweredPort(cleanup);
    const report = await probe(`ws://127.0.0.1:${port}/`, { timeoutMs: 400 });
    expect(report.exitCode).toBe(1);
    expect(report.diagnosis?.code).toBe('WSG_CONNECT_TIMEOUT');
    expect(report.diagnosis?.step).toBe('tcp');
    expect(report.diagnosis?.summary).toBe(`No TCP connection to 127.0.0.1:${port} within 400 ms.`);
    expect(report.diagnosis?.observed[0]).toBe(
      `connect(127.0.0.1:${port}): no SYN-ACK within 400 ms`,
    );
    expect(report.diagnosis?.causes[0]).toMatch(/firewall .* silently drops packets/);
    expect(report.diagnosis?.causes.join('\n')).toMatch(/accept queue is full/);
    expect(report.steps.find((step) => step.name === 'upgrade')?.status).toBe('not-run');
    const cli = await runCli(['doctor', `ws://127.0.0.1:${port}/`, '--timeout-ms', '400']);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/✘ tcp +No TCP connection to 127\.0\.0\.1:\d+ within 400 ms\./);
  });

  it('a server that accepts TCP and never answers the upgrade request: WSG_CONNECT_TIMEOUT at the upgrade step', async () => {
    const port = await rawServer(() => {}, cleanup);
    const report = await probe(`ws://127.0.0.1:${port}/`, { timeoutMs: 300 });
    expect(report.diagnosis?.code).toBe('WSG_CONNECT_TIMEOUT');
    expect(report.diagnosis?.step).toBe('upgrade');
    expect(report.diagnosis?.summary).toMatch(
      /No complete answer to the upgrade request within 300 ms/,
    );
  });

  it('a TLS alert in answer to the plain request says: this port speaks TLS, use wss://', async () => {
    // RFC 8446 §6: an alert record, TLS 1.2 framing, fatal (2) protocol_version (70).
    const port = await rawServer((socket) => {
      void readRequestHead(socket).then(() =>
        socket.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])),
      );
    }, cleanup);
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis?.code).toBe('WSG_RESPONSE_MALFORMED');
    expect(report.diagnosis?.summary).toMatch(/This port speaks TLS, use wss:\/\/: .* a TLS alert/);
    expect(report.diagnosis?.observed[0]).toMatch(/15 03 03 00 02 02 46/);
  });

  it('a port that speaks another protocol: the first bytes, in hex and as text', async () => {
    const port = await rawServer((socket) => socket.write('SSH-2.0-OpenSSH_9.2\r\n'), cleanup);
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis?.code).toBe('WSG_RESPONSE_MALFORMED');
    expect(report.diagnosis?.summary).toMatch(
      /does not speak HTTP: the answer starts with "SSH-2\.0-OpenSSH_9\.2\.\."/,
    );
    expect(report.diagnosis?.observed[0]).toMatch(/53 53 48 2d 32 2e 30/);
  });

  it("an invalid HTTP head: WSG_RESPONSE_MALFORMED with the parser's reason", async () => {
    const port = await rawServer((socket) => {
      void readRequestHead(socket).then(() =>
        socket.write('HTTP/1.1 101 Switching Protocols\r\nthis is not a header\r\n\r\n'),
      );
    }, cleanup);
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis?.code).toBe('WSG_RESPONSE_MALFORMED');
    expect(report.diagnosis?.summary).toMatch(
      /not a valid HTTP\/1\.1 response head: invalid header line/,
    );
  });
});
