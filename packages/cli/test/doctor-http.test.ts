import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { createServer, type ServerOptions, WsgateError } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../src/main.js';
import { Cleanup, listen, probe, rawServer, readRequestHead, stop } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A wsgate standalone server with `options`. */
async function wsgate(options: ServerOptions = {}): Promise<number> {
  const server = await createServer(options);
  cleanup.add(() => server.close({ timeoutMs: 100 }));
  return server.address()?.port as number;
}

/** A plain Node http server (no upgrade listener: upgrade requests reach the handler as requests). */
async function http(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<number> {
  const server = createHttpServer(handler);
  const port = await listen(server);
  cleanup.add(() => stop(server));
  return port;
}

/** A server that answers every request with this status, headers and body. */
function answering(
  status: number,
  headers: Record<string, string> = {},
  body = '',
): Promise<number> {
  return http((_request, response) => {
    response.writeHead(status, headers);
    response.end(body);
  });
}

/**
 * A reverse proxy that forwards upgrade requests as plain HTTP, without the hop-by-hop
 * Upgrade and Connection headers (what nginx does without the WebSocket lines), and relays
 * the backend's answer.
 */
async function strippingProxy(backendPort: number): Promise<number> {
  const proxy = createHttpServer();
  proxy.on('upgrade', (request: IncomingMessage, socket: Socket) => {
    const headers = { ...request.headers };
    delete headers.upgrade;
    delete headers.connection;
    const upstream = httpRequest({
      host: '127.0.0.1',
      port: backendPort,
      path: request.url,
      method: request.method,
      headers,
    });
    upstream.on('response', (answer) => {
      let head = `HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}\r\n`;
      for (let i = 0; i < answer.rawHeaders.length; i += 2) {
        const name = answer.rawHeaders[i] as string;
        if (/^(connection|upgrade|keep-alive|transfer-encoding)$/i.test(name)) continue;
        head += `${name}: ${answer.rawHeaders[i + 1]}\r\n`;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        socket.end(
          Buffer.concat([
            Buffer.from(
              `${head}Via: 1.1 test-proxy\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
            ),
            body,
          ]),
        );
      });
    });
    upstream.on('error', () => socket.destroy());
    upstream.end();
  });
  const port = await listen(proxy);
  cleanup.add(() => stop(proxy));
  return port;
}

/**
 * A TCP proxy that forwards the upgrade request without one header line (a proxy that filters
 * headers it does not know), then relays both ways.
 */
async function headerDroppingProxy(backendPort: number, dropped: string): Promise<number> {
  return rawServer((client) => {
    void readRequestHead(client).then(({ head, rest }) => {
      const filtered = head
        .split('\r\n')
        .filter((line) => !line.toLowerCase().startsWith(`${dropped.toLowerCase()}:`))
        .join('\r\n');
      const upstream = createConnection({ host: '127.0.0.1', port: backendPort }, () => {
        upstream.write(filtered);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      upstream.on('error', () => client.destroy());
      client.once('close', () => upstream.destroy());
    });
  }, cleanup);
}

function expectFailure(
  report: DoctorReport,
  code: string,
  step: string,
): NonNullable<DoctorReport['diagnosis']> {
  expect(report.exitCode).toBe(1);
  expect(report.healthy).toBe(false);
  expect(report.diagnosis?.code).toBe(code);
  expect(report.diagnosis?.step).toBe(step);
  expect(report.steps.find((item) => item.name === step)?.status).toBe('failed');
  return report.diagnosis as NonNullable<DoctorReport['diagnosis']>;
}

function text(diagnosis: NonNullable<DoctorReport['diagnosis']>): string {
  return [diagnosis.summary, ...diagnosis.observed, ...diagnosis.causes, ...diagnosis.fix].join(
    '\n',
  );
}

describe('doctor: HTTP answers instead of 101', () => {
  it('a plain HTTP server answering 200 is "served as plain HTTP", naming the missing headers', async () => {
    const port = await http((_request, response) => {
      response.setHeader('Content-Type', 'text/html');
      response.end('<!doctype html><title>home</title>');
    });
    const report = await probe(`ws://127.0.0.1:${port}/`);
    const diagnosis = expectFailure(report, 'WSG_RESPONSE_NOT_UPGRADED', 'upgrade');
    expect(diagnosis.summary).toMatch(/HTTP\/1\.1 200 OK/);
    expect(diagnosis.summary).toMatch(
      /missing on the way back: Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Accept/,
    );
    expect(diagnosis.causes[0]).toMatch(/ordinary HTTP route.*HTML page/);
    expect(report.response?.status).toBe(200);
  });

  it('a proxy that strips Upgrade in front of a plain backend: 200 through the proxy, the proxy named first', async () => {
    const backend = await answering(200, { 'Content-Type': 'text/plain' }, 'hello');
    const proxy = await strippingProxy(backend);
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${proxy}/ws`),
      'WSG_RESPONSE_NOT_UPGRADED',
      'upgrade',
    );
    expect(diagnosis.causes[0]).toMatch(
      /proxy.*drops the Upgrade and Connection headers.*Via: 1\.1 test-proxy/,
    );
    expect(diagnosis.fix.join('\n')).toMatch(/proxy_set_header Upgrade/);
  });

  it('a proxy that strips Upgrade in front of a wsgate server: 426 WSG_NOT_WEBSOCKET read as a dropped Upgrade', async () => {
    const backend = await wsgate();
    const proxy = await strippingProxy(backend);
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${proxy}/ws`),
      'WSG_RESPONSE_UPGRADE_REQUIRED',
      'upgrade',
    );
    expect(diagnosis.serverCode).toBe('WSG_NOT_WEBSOCKET');
    expect(diagnosis.summary).toMatch(
      /as if the request had no Upgrade header.*the doctor sent "Upgrade: websocket"/,
    );
    expect(text(diagnosis)).toMatch(
      /dropped the hop-by-hop headers Upgrade and Connection \(Via: 1\.1 test-proxy\)/,
    );
  });

  it('404 from a wsgate server names the path and what the server said', async () => {
    const port = await wsgate({ path: '/chat' });
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/nope`),
      'WSG_RESPONSE_NOT_FOUND',
      'upgrade',
    );
    expect(diagnosis.serverCode).toBe('WSG_PATH_NOT_FOUND');
    expect(diagnosis.summary).toMatch(
      /nothing serves WebSocket at \/nope \(the server says: no WebSocket endpoint at \/nope\)/,
    );
    expect(diagnosis.observed).toContain('X-WSGate-Error: WSG_PATH_NOT_FOUND');
  });

  it('404 from another server shows its body', async () => {
    const port = await answering(
      404,
      { 'Content-Type': 'text/html' },
      '<html><body>Cannot GET /nope</body></html>',
    );
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/nope`),
      'WSG_RESPONSE_NOT_FOUND',
      'upgrade',
    );
    expect(diagnosis.serverCode).toBeUndefined();
    expect(diagnosis.observed.join('\n')).toMatch(/Cannot GET \/nope/);
    expect(diagnosis.causes.join('\n')).toMatch(
      /HTML page: a web server or a framework router answered/,
    );
  });

  it('404 whose JSON body lists the served paths: names them and the URL to try', async () => {
    const port = await answering(
      404,
      { 'Content-Type': 'application/json' },
      JSON.stringify({ error: 'not found', websocketPaths: ['/ws/chat', '/ws/echo'] }),
    );
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/chat`),
      'WSG_RESPONSE_NOT_FOUND',
      'upgrade',
    );
    expect(diagnosis.summary).toMatch(/; the server lists \/ws\/chat, \/ws\/echo\.$/);
    expect(diagnosis.causes[0]).toBe(
      'The server names the paths it serves: /ws/chat, /ws/echo; /chat is not one of them.',
    );
    expect(diagnosis.fix[0]).toBe(
      `Try a path the server lists: wsgate doctor ws://127.0.0.1:${port}/ws/chat`,
    );
  });

  it('404 whose text body lists the available endpoints names them', async () => {
    const port = await answering(
      404,
      { 'Content-Type': 'text/plain' },
      'No such endpoint: /chat\nAvailable endpoints: /socket, /live.\n',
    );
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/chat`),
      'WSG_RESPONSE_NOT_FOUND',
      'upgrade',
    );
    expect(diagnosis.summary).toMatch(/the server lists \/socket, \/live\.$/);
  });

  it('426 with another Sec-WebSocket-Version fails the version step', async () => {
    const port = await answering(
      426,
      { 'Sec-WebSocket-Version': '8', Upgrade: 'websocket' },
      'Upgrade Required',
    );
    const report = await probe(`ws://127.0.0.1:${port}/`);
    const diagnosis = expectFailure(report, 'WSG_RESPONSE_UPGRADE_REQUIRED', 'version');
    expect(diagnosis.summary).toMatch(/wants Sec-WebSocket-Version 8; the doctor sent 13/);
    expect(report.steps.find((step) => step.name === 'upgrade')?.status).toBe('ok');
  });

  it('403 from a wsgate server that requires an Origin: origin first, suggests --origin', async () => {
    const port = await wsgate({ origins: ['https://app.example'], requireOrigin: true });
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.serverCode).toBe('WSG_ORIGIN_REFUSED');
    expect(diagnosis.causes[1]).toMatch(/checks the Origin header and the doctor sent none/);
    expect(diagnosis.fix[0]).toMatch(/--origin/);
    expect(diagnosis.fix.join('\n')).toMatch(/--header 'Cookie/);
  });

  it('403 for an Origin that is not allowed names that origin', async () => {
    const port = await wsgate({ origins: ['https://app.example'] });
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`, { origin: 'https://evil.example' }),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.causes.join('\n')).toMatch(
      /The Origin https:\/\/evil\.example is not on the server's allow-list/,
    );
  });

  it('403 from another server, with no Origin sent, ranks Origin then authentication', async () => {
    const port = await answering(403, { 'Content-Type': 'text/plain' }, 'Forbidden');
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.causes[0]).toMatch(/Origin/);
    expect(diagnosis.causes[1]).toMatch(/authentication or access rule/);
    expect(diagnosis.fix.join('\n')).toMatch(/--origin[\s\S]*--header/);
  });

  it('401 suggests --header with credentials and shows WWW-Authenticate', async () => {
    const port = await wsgate({
      verifyUpgrade: () => ({
        refuse: 'WSG_AUTH_REQUIRED',
        headers: { 'WWW-Authenticate': 'Bearer realm="chat"' },
      }),
    });
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.serverCode).toBe('WSG_AUTH_REQUIRED');
    expect(diagnosis.summary).toMatch(
      /requires authentication \(WWW-Authenticate: Bearer realm="chat"\)/,
    );
    expect(diagnosis.fix.join('\n')).toMatch(/--header 'Authorization: Bearer <token>'/);
  });

  it('400 from a wsgate server that requires a subprotocol names the header and --protocol', async () => {
    const port = await wsgate({ subprotocols: ['chat.v2'], requireSubprotocol: true });
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.serverCode).toBe('WSG_SUBPROTOCOL_REQUIRED');
    expect(diagnosis.summary).toMatch(/the server objected to Sec-WebSocket-Protocol/);
    expect(diagnosis.causes).toContain(
      'The doctor sent no Sec-WebSocket-Protocol: this endpoint requires it.',
    );
    expect(diagnosis.fix[0]).toBe('Offer a subprotocol the server supports: --protocol chat.v2');
  });

  it('400 from a wsgate server behind a proxy that drops Sec-WebSocket-Key names the header and the proxy', async () => {
    const backend = await wsgate();
    const proxy = await headerDroppingProxy(backend, 'Sec-WebSocket-Key');
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${proxy}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.serverCode).toBe('WSG_KEY_MISSING');
    expect(diagnosis.summary).toBe(
      'HTTP/1.1 400 Bad Request: the server objected to Sec-WebSocket-Key (WSG_KEY_MISSING).',
    );
    expect(diagnosis.causes[1]).toMatch(
      /^The doctor sent a valid Sec-WebSocket-Key \(see the request with --verbose\): a proxy between may have changed or removed it/,
    );
    expect(diagnosis.fix[0]).toMatch(/fix the proxy that changes it/);
  });

  it('400 from another server names the header its body mentions', async () => {
    const port = await answering(
      400,
      { 'Content-Type': 'text/plain' },
      'Bad Request: missing or invalid Sec-WebSocket-Key',
    );
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.summary).toMatch(/the server objected to Sec-WebSocket-Key/);
  });

  it('400 "plain HTTP request was sent to HTTPS port" says to use wss://', async () => {
    const port = await answering(
      400,
      { 'Content-Type': 'text/html' },
      '<center>The plain HTTP request was sent to HTTPS port</center>',
    );
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.summary).toMatch(/expects TLS/);
    expect(diagnosis.fix[0]).toContain(`wss://127.0.0.1:${port}/`);
  });

  it('405 shows Allow', async () => {
    const port = await answering(405, { Allow: 'POST' });
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/api`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.summary).toMatch(/does not accept GET here \(Allow: POST\)/);
  });

  it('503 from a wsgate server at its limit shows Retry-After', async () => {
    const port = await wsgate({ maxConnections: 0 });
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.serverCode).toBe('WSG_TOO_MANY_CONNECTIONS');
    expect(diagnosis.summary).toMatch(/Retry-After: 5/);
    expect(diagnosis.fix[0]).toMatch(/Retry after 5 seconds/);
  });

  it('429 from another server is a rate limit, with its Retry-After', async () => {
    const port = await answering(429, { 'Retry-After': '30' }, 'slow down');
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.causes[0]).toMatch(/rate limit/);
    expect(diagnosis.fix[0]).toMatch(/Retry after 30 seconds/);
  });

  it('500 from a wsgate hook that threw points at the server log', async () => {
    const port = await wsgate({
      verifyUpgrade: () => {
        throw new Error('database down');
      },
    });
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.serverCode).toBe('WSG_HOOK_FAILED');
    expect(diagnosis.summary).toMatch(/failed while handling the handshake/);
    expect(text(diagnosis)).not.toMatch(/database down/);
  });

  it('a handshake hook that throws a WsgateError with a handshake code is answered with that code', async () => {
    const port = await wsgate({
      verifyUpgrade: () => {
        throw new WsgateError('WSG_FORBIDDEN', { detail: 'banned' });
      },
    });
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.serverCode).toBe('WSG_FORBIDDEN');
    expect(diagnosis.causes[0]).toMatch(/WSG_FORBIDDEN.*banned/);
  });

  it('500 from another server', async () => {
    const port = await answering(500, {}, 'Internal Server Error');
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/`),
      'WSG_RESPONSE_REFUSED',
      'upgrade',
    );
    expect(diagnosis.serverCode).toBeUndefined();
    expect(diagnosis.summary).toMatch(/HTTP\/1\.1 500 Internal Server Error/);
  });

  it('502 and 504 are read as proxy errors', async () => {
    const bad = await answering(502, { Server: 'nginx' }, 'Bad Gateway');
    expect(
      expectFailure(await probe(`ws://127.0.0.1:${bad}/`), 'WSG_RESPONSE_REFUSED', 'upgrade')
        .summary,
    ).toMatch(/a proxy could not get a valid answer/);
    const slow = await answering(504, {}, 'Gateway Timeout');
    expect(
      expectFailure(await probe(`ws://127.0.0.1:${slow}/`), 'WSG_RESPONSE_REFUSED', 'upgrade')
        .summary,
    ).toMatch(/a proxy timed out/);
  });

  it('302 to https:// says the endpoint wants wss:// and gives the URL to try', async () => {
    const port = await answering(302, { Location: 'https://127.0.0.1:8443/chat' });
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/chat`),
      'WSG_RESPONSE_NOT_UPGRADED',
      'upgrade',
    );
    expect(diagnosis.summary).toMatch(/Location: https:\/\/127\.0\.0\.1:8443\/chat/);
    expect(diagnosis.causes[0]).toMatch(/redirects plain HTTP to HTTPS/);
    expect(diagnosis.fix[0]).toContain('wsgate doctor wss://127.0.0.1:8443/chat');
  });

  it('302 to a login page says authentication', async () => {
    const port = await answering(302, { Location: '/login?next=/chat' });
    const diagnosis = expectFailure(
      await probe(`ws://127.0.0.1:${port}/chat`),
      'WSG_RESPONSE_NOT_UPGRADED',
      'upgrade',
    );
    expect(diagnosis.causes[0]).toMatch(/login page/);
    expect(diagnosis.fix.join('\n')).toContain(`ws://127.0.0.1:${port}/login?next=/chat`);
  });
});
