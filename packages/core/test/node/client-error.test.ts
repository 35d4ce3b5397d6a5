import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { closeHttpServer, listenOnLoopback, rawExchange } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { type LogEvent, WebSocketServer } from '../../src/index.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function attached(setup?: (http: HttpServer) => void): Promise<{
  port: number;
  logs: LogEvent[];
}> {
  const http = createHttpServer((_request, response) => response.end('plain http'));
  setup?.(http);
  const logs: LogEvent[] = [];
  const wss = new WebSocketServer({ path: '/ws', onLog: (event) => logs.push(event) });
  wss.attach(http);
  const port = await listenOnLoopback(http);
  stops.push(() => closeHttpServer(http));
  stops.push(() => wss.close({ timeoutMs: 500 }));
  return { port, logs };
}

const upgradeHead = (port: number, extra: string): Buffer =>
  Buffer.from(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
  );

describe('request heads Node refuses, on a server wsgate is attached to', () => {
  it('answers a 1 MiB header with the catalogue 431, sent whole in one write, and logs it', async () => {
    const { port, logs } = await attached();
    const head = upgradeHead(port, `X-Big: ${'b'.repeat(1024 * 1024)}\r\n`);
    const response = await rawExchange(port, head, { timeoutMs: 5_000 });
    expect(response.status).toBe(431);
    expect(response.headers['x-wsgate-error']).toBe('WSG_HEADERS_TOO_LARGE');
    expect(response.closedByServer).toBe(true);
    expect(logs.map((event) => event.code)).toContain('WSG_HEADERS_TOO_LARGE');
  });

  it('answers a malformed request line with the catalogue 400', async () => {
    const { port } = await attached();
    const response = await rawExchange(port, Buffer.from('GET / HTTP/1.1 extra\r\n\r\n'), {
      timeoutMs: 5_000,
    });
    expect(response.status).toBe(400);
    expect(response.headers['x-wsgate-error']).toBe('WSG_REQUEST_MALFORMED');
  });

  it("leaves client errors to the application's own 'clientError' listener", async () => {
    const { port } = await attached((http) =>
      http.on('clientError', (_error, socket) =>
        socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\n\r\n'),
      ),
    );
    const head = upgradeHead(port, `X-Big: ${'b'.repeat(64 * 1024)}\r\n`);
    const response = await rawExchange(port, head, { timeoutMs: 5_000 });
    expect(response.status).toBe(418);
    expect(response.headers['x-wsgate-error']).toBeUndefined();
  });
});
