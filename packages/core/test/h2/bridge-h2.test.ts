import type { IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { bridgeUpgrades, ServerGroup, type UpgradeExchange } from '../../src/adapter/index.js';
import { bodyOf, extendedConnect, openSession, responseOf, testCertificate } from './harness.js';

/** An HTTP/2 server whose upgrades go through `run`, as a framework adapter's would. */
async function startBridge(run: (exchange: UpgradeExchange, group: ServerGroup) => void) {
  const server = http2.createSecureServer({ ...testCertificate(), allowHTTP1: true });
  const group = new ServerGroup();
  const detach = bridgeUpgrades(server, group, { run: (exchange) => run(exchange, group) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const session = await openSession(port);
  return {
    session,
    close: async () => {
      session.destroy();
      detach();
      await group.close({ timeoutMs: 100 });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((bridge) => bridge.close()));
});

describe('bridgeUpgrades on an HTTP/2 server (RFC 8441)', () => {
  it('shows the framework an extended CONNECT as the GET upgrade it stands for, and accepts with the headers its middleware set', async () => {
    let seen: IncomingMessage | undefined;
    const bridge = await startBridge((exchange, group) => {
      seen = exchange.request;
      exchange.response.setHeader('x-request-id', 'r-1');
      void group.accept(exchange);
    });
    running.push(bridge);
    const stream = extendedConnect(bridge.session, '/rooms/1?x=2', { origin: 'https://a.example' });
    const headers = await responseOf(stream);
    expect(headers[':status']).toBe(200);
    expect(headers['x-request-id']).toBe('r-1');
    expect(seen).toMatchObject({
      method: 'GET',
      url: '/rooms/1?x=2',
      httpVersion: '2.0',
      headers: { host: '127.0.0.1', upgrade: 'websocket', origin: 'https://a.example' },
    });
    expect(Object.keys(seen?.headers ?? {}).some((name) => name.startsWith(':'))).toBe(false);
    stream.close();
  });

  it("sends the framework's refusal as an HTTP/2 response, and a 2xx page as 404 WSG_UPGRADE_NOT_HANDLED (a 2xx would open the WebSocket)", async () => {
    const bridge = await startBridge((exchange) => {
      const { response } = exchange;
      if (exchange.request.url === '/private') {
        response.statusCode = 401;
        response.setHeader('www-authenticate', 'Bearer');
        response.end('sign in first');
        return;
      }
      response.setHeader('content-type', 'text/html');
      response.end('<html>a page</html>');
    });
    running.push(bridge);
    const refused = extendedConnect(bridge.session, '/private');
    const refusedHeaders = await responseOf(refused);
    expect(refusedHeaders[':status']).toBe(401);
    expect(refusedHeaders['x-wsgate-error']).toBe('WSG_AUTH_REQUIRED');
    expect(refusedHeaders['www-authenticate']).toBe('Bearer');
    expect(await bodyOf(refused)).toBe('sign in first');
    const page = extendedConnect(bridge.session, '/');
    const pageHeaders = await responseOf(page);
    expect(pageHeaders[':status']).toBe(404);
    expect(pageHeaders['x-wsgate-error']).toBe('WSG_UPGRADE_NOT_HANDLED');
    expect(await bodyOf(page)).not.toContain('<html>a page</html>');
  });
});
