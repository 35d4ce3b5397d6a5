import http2 from 'node:http2';
import { afterEach, describe, expect, test } from 'vitest';
import { connect, isWsgateError, type WebSocketConnection } from '../../src/index.js';
import { type H2Setup, startH2, testCertificate } from './harness.js';

let setup: H2Setup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

function echo(connection: WebSocketConnection): void {
  connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
}

function reply(connection: WebSocketConnection, message: string): Promise<unknown> {
  const next = new Promise((resolve) => connection.once('message', resolve));
  connection.send(message);
  return next;
}

describe('connect() over HTTP/2 (RFC 8441)', () => {
  test('http2: true opens a WebSocket on a stream of its own session, deflate agreed', async () => {
    setup = await startH2({ path: '/echo', subprotocols: ['chat'] });
    const transports: string[] = [];
    setup.wss.on('connection', (connection) => {
      transports.push(connection.transport);
      echo(connection);
    });
    const client = await connect(`wss://127.0.0.1:${setup.port}/echo`, {
      http2: true,
      ca: testCertificate().cert,
      subprotocols: ['chat'],
    });
    expect(client.transport).toBe('h2');
    expect(client.protocol).toBe('chat');
    expect(client.extensions).toMatch(/^permessage-deflate/);
    expect(await reply(client, 'x'.repeat(5000))).toBe('x'.repeat(5000));
    const closed = new Promise((resolve) => client.once('close', (code) => resolve(code)));
    client.close(1000);
    expect(await closed).toBe(1000);
    expect(transports).toEqual(['h2']);
  });

  test('a shared session carries several WebSockets and stays open after they close', async () => {
    setup = await startH2({ path: '/echo' });
    setup.wss.on('connection', echo);
    const session = http2.connect(`https://127.0.0.1:${setup.port}`, {
      ca: testCertificate().cert,
    });
    try {
      const clients = await Promise.all(
        [1, 2, 3].map(() => connect(`wss://127.0.0.1:${setup?.port}/echo`, { http2: session })),
      );
      expect(await Promise.all(clients.map((client, i) => reply(client, `n${i}`)))).toEqual([
        'n0',
        'n1',
        'n2',
      ]);
      expect(setup.wss.clients.size).toBe(3);
      await Promise.all(
        clients.map(
          (client) =>
            new Promise((resolve) => {
              client.once('close', resolve);
              client.close();
            }),
        ),
      );
      expect(session.closed).toBe(false);
      const again = await connect(`wss://127.0.0.1:${setup.port}/echo`, { http2: session });
      expect(await reply(again, 'again')).toBe('again');
      again.terminate();
    } finally {
      session.close();
    }
  });

  test('twenty connects at once on one new session share its SETTINGS wait (no MaxListeners warning)', async () => {
    setup = await startH2({ path: '/echo' });
    setup.wss.on('connection', echo);
    const session = http2.connect(`https://127.0.0.1:${setup.port}`, {
      ca: testCertificate().cert,
    });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const url = `wss://127.0.0.1:${setup.port}/echo`;
      const clients = await Promise.all(
        Array.from({ length: 20 }, () => connect(url, { http2: session })),
      );
      expect(session.listenerCount('remoteSettings')).toBe(0);
      expect(await reply(clients[19] as WebSocketConnection, 'last')).toBe('last');
      for (const client of clients) client.terminate();
      // A warning is emitted on the next tick after the listener that crossed the limit.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      session.close();
    }
  });

  test('a refusal rejects with the client code of its status, naming the server code', async () => {
    setup = await startH2({ path: '/echo' });
    const error = await connect(`wss://127.0.0.1:${setup.port}/missing`, {
      http2: true,
      ca: testCertificate().cert,
    }).catch((caught: unknown) => caught);
    expect(isWsgateError(error)).toBe(true);
    expect((error as { code: string }).code).toBe('WSG_RESPONSE_NOT_FOUND');
    expect((error as Error).message).toContain('WSG_PATH_NOT_FOUND');
  });

  test('a server without SETTINGS_ENABLE_CONNECT_PROTOCOL rejects with WSG_H2_CONNECT_PROTOCOL_DISABLED', async () => {
    setup = await startH2({ path: '/echo' }, false);
    const error = await connect(`wss://127.0.0.1:${setup.port}/echo`, {
      http2: true,
      ca: testCertificate().cert,
    }).catch((caught: unknown) => caught);
    expect((error as { code: string }).code).toBe('WSG_H2_CONNECT_PROTOCOL_DISABLED');
  });
});
