import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawExchange, upgradeHeaders } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { UpgradeExchange, WebSocketServer } from '../../src/index.js';

describe('the upgrade bridge adapters share', () => {
  let http: Server | undefined;
  let wss: WebSocketServer | undefined;
  afterEach(async () => {
    await wss?.close({ timeoutMs: 500 });
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    http = undefined;
  });

  async function listen(onUpgrade: (exchange: UpgradeExchange) => void): Promise<number> {
    wss = new WebSocketServer();
    http = createHttpServer();
    http.on('upgrade', (request, socket, head) =>
      onUpgrade(new UpgradeExchange(request, socket, head)),
    );
    await new Promise<void>((resolve) => http?.listen(0, '127.0.0.1', resolve));
    return (http.address() as AddressInfo).port;
  }

  function handshake(port: number, path = '/chat'): Promise<string> {
    let head = `GET ${path} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(upgradeHeaders(port)))
      head += `${name}: ${value}\r\n`;
    return rawExchange(port, Buffer.from(`${head}\r\n`), {
      stopWhen: (text) => text.includes('\r\n\r\n'),
    }).then((r) => r.raw);
  }

  it('puts headers the framework set before accepting into the 101, a cookie per line', async () => {
    const port = await listen((exchange) => {
      exchange.response.setHeader('Set-Cookie', ['session=renewed; HttpOnly', 'theme=dark']);
      exchange.response.setHeader('X-Request-Id', 'req-7');
      exchange.response.setHeader('Content-Type', 'text/html');
      void exchange.accept(wss as WebSocketServer);
    });
    const answer = await handshake(port);
    expect(answer).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(answer).toContain('set-cookie: session=renewed; HttpOnly\r\nset-cookie: theme=dark\r\n');
    expect(answer).toContain('x-request-id: req-7\r\n');
    expect(answer.toLowerCase()).not.toContain('content-type');
  });

  it('writes whatever the framework answered instead of upgrading, and never a 101', async () => {
    const port = await listen((exchange) => {
      exchange.response.writeHead(302, { Location: '/login' });
      exchange.response.end();
      void exchange.accept(wss as WebSocketServer);
    });
    const answer = await handshake(port);
    expect(answer).toMatch(/^HTTP\/1\.1 302 Found\r\n/);
    expect(answer.toLowerCase()).toContain('location: /login');
    expect(answer).not.toContain('101');
  });
});
