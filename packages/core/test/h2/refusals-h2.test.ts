import https from 'node:https';
import { afterEach, describe, expect, test } from 'vitest';
import type { LogEvent } from '../../src/index.js';
import {
  bodyOf,
  extendedConnect,
  type H2Setup,
  openSession,
  responseOf,
  startH2,
  testCertificate,
} from './harness.js';

let setup: H2Setup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

interface Answer {
  readonly status: number;
  readonly error: string | undefined;
  readonly body: string;
}

/** The answer to an HTTP/1.1 upgrade on the same TLS port. */
function http1Answer(port: number, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = https.request({
      host: '127.0.0.1',
      port,
      path,
      ca: testCertificate().cert,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version': '13',
        ...headers,
      },
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          error: response.headers['x-wsgate-error'] as string | undefined,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    request.on('upgrade', () => reject(new Error('upgraded')));
    request.on('error', reject);
    request.end();
  });
}

async function h2Answer(
  port: number,
  path: string,
  headers: Record<string, string | undefined>,
): Promise<Answer & { readonly headers: Record<string, unknown> }> {
  const session = await openSession(port);
  try {
    const stream = extendedConnect(session, path, headers);
    const body = bodyOf(stream);
    const response = await responseOf(stream);
    return {
      status: Number(response[':status']),
      error: response['x-wsgate-error'] as string | undefined,
      body: await body,
      headers: { ...response },
    };
  } finally {
    session.close();
  }
}

describe('refusals over HTTP/2 answer as over HTTP/1.1: status, x-wsgate-error and body', () => {
  test.each([
    ['an unknown path', '/nope', {}, 404, 'WSG_PATH_NOT_FOUND'],
    ['version 8', '/echo', { 'sec-websocket-version': '8' }, 426, 'WSG_VERSION_UNSUPPORTED'],
    ['a refused Origin', '/echo', { origin: 'https://evil.example' }, 403, 'WSG_ORIGIN_REFUSED'],
  ] as const)('%s: %s', async (_name, path, headers, status, code) => {
    const events: LogEvent[] = [];
    setup = await startH2({
      path: '/echo',
      origins: ['https://app.example'],
      onLog: (event) => events.push(event),
    });
    const overH2 = await h2Answer(setup.port, path, headers);
    expect(overH2.status).toBe(status);
    expect(overH2.error).toBe(code);
    expect(overH2.body).toContain(code);
    // HTTP/1.1 header names: the same as HTTP/1.1 for what HTTP/2 can carry.
    const overHttp1 = await http1Answer(setup.port, path, headers as Record<string, string>);
    expect(overH2).toMatchObject(overHttp1);
    expect(events.filter((event) => event.code === code)).toHaveLength(2);
  });

  test('426 over HTTP/2 names version 13 and carries no Upgrade or Connection (RFC 9113 §8.2.2)', async () => {
    setup = await startH2({ path: '/echo' });
    const answer = await h2Answer(setup.port, '/echo', { 'sec-websocket-version': '8' });
    expect(answer.headers['sec-websocket-version']).toBe('13');
    expect(answer.headers.upgrade).toBeUndefined();
    expect(answer.headers.connection).toBeUndefined();
  });

  test('a Sec-WebSocket-Key over HTTP/2 gets 400 WSG_H2_KEY_UNEXPECTED', async () => {
    setup = await startH2({ path: '/echo' });
    const answer = await h2Answer(setup.port, '/echo', {
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
    expect([answer.status, answer.error]).toEqual([400, 'WSG_H2_KEY_UNEXPECTED']);
  });

  test('a :protocol other than websocket gets 400 WSG_H2_PROTOCOL_UNSUPPORTED', async () => {
    setup = await startH2({ path: '/echo' });
    const answer = await h2Answer(setup.port, '/echo', { ':protocol': 'webtransport' });
    expect([answer.status, answer.error]).toEqual([400, 'WSG_H2_PROTOCOL_UNSUPPORTED']);
    expect(answer.body).toContain('webtransport');
  });

  test('a CONNECT without :protocol gets 400 WSG_H2_PROTOCOL_MISSING when nobody else takes it', async () => {
    setup = await startH2({ path: '/echo' });
    const session = await openSession(setup.port);
    try {
      // RFC 9113 §8.5: a plain CONNECT carries only :method and :authority.
      const stream = session.request({ ':method': 'CONNECT', ':authority': '127.0.0.1:443' });
      const body = bodyOf(stream);
      const response = await responseOf(stream);
      expect(response[':status']).toBe(400);
      expect(response['x-wsgate-error']).toBe('WSG_H2_PROTOCOL_MISSING');
      expect(await body).toContain('without :protocol');
    } finally {
      session.close();
    }
  });

  test("with Node's compatibility API, plain requests reach the app and CONNECTs without :protocol are refused", async () => {
    setup = await startH2({ path: '/echo' });
    setup.http2.on('request', (_request, response) => response.end('from the app'));
    const session = await openSession(setup.port);
    try {
      const page = session.request({ ':path': '/' });
      expect(await bodyOf(page)).toBe('from the app');
      const tunnel = session.request({ ':method': 'CONNECT', ':authority': '127.0.0.1:443' });
      const response = await responseOf(tunnel);
      expect(response['x-wsgate-error']).toBe('WSG_H2_PROTOCOL_MISSING');
    } finally {
      session.close();
    }
  });

  test('an application refusal from verifyUpgrade is answered on the stream', async () => {
    setup = await startH2({
      path: '/echo',
      verifyUpgrade: (request) =>
        request.headers.authorization === undefined
          ? { refuse: 'WSG_AUTH_REQUIRED', headers: { 'WWW-Authenticate': 'Bearer' } }
          : undefined,
    });
    const answer = await h2Answer(setup.port, '/echo', {});
    expect([answer.status, answer.error]).toEqual([401, 'WSG_AUTH_REQUIRED']);
    expect(answer.headers['www-authenticate']).toBe('Bearer');
  });
});
