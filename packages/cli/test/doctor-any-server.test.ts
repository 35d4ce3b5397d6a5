import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerOptions, type WebSocket, WebSocketServer as WsServer } from 'ws';
import type { DoctorReport } from '../src/main.js';
import { Cleanup, probe } from './helpers.js';

// "Any endpoint, not only wsgate": the doctor against servers written with the `ws` library,
// which name no catalogue code, answer refusals their own way and close with bare codes.

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A `ws` server on 127.0.0.1, port 0; `onConnection` runs for each client. */
async function wsServer(
  options: ServerOptions = {},
  onConnection: (socket: WebSocket) => void = (socket) =>
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
): Promise<number> {
  const server = new WsServer({ host: '127.0.0.1', port: 0, ...options });
  server.on('connection', (socket) => {
    // ws reports a peer's fault (a message over maxPayload) as an 'error' after closing.
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

function diagnosisOf(report: DoctorReport): NonNullable<DoctorReport['diagnosis']> {
  expect(report.exitCode, report.diagnosis?.summary).toBe(1);
  return report.diagnosis as NonNullable<DoctorReport['diagnosis']>;
}

describe('doctor against a server written with the ws library', () => {
  it('an echo server with permessage-deflate passes every step, with --send and with a ping', async () => {
    const port = await wsServer({ perMessageDeflate: true });
    const echo = await probe(`ws://127.0.0.1:${port}/anything`, { send: 'hello ws' });
    expect(echo.diagnosis).toBeUndefined();
    expect(echo.exitCode).toBe(0);
    expect(echo.roundTrip).toMatchObject({ kind: 'echo', received: '"hello ws"' });
    expect(echo.steps.find((step) => step.name === 'extensions')?.summary).toMatch(
      /^permessage-deflate.* accepted$/,
    );
    const ping = await probe(`ws://127.0.0.1:${port}/`);
    expect(ping.exitCode).toBe(0);
    expect(ping.roundTrip?.kind).toBe('ping');
  });

  it('a wrong path answered 400 (ws with a path option) is read as a path the server does not serve', async () => {
    const port = await wsServer({ path: '/socket' });
    const diagnosis = diagnosisOf(await probe(`ws://127.0.0.1:${port}/sockets`));
    expect(diagnosis.code).toBe('WSG_RESPONSE_REFUSED');
    expect(diagnosis.summary).toMatch(
      /HTTP\/1\.1 400 Bad Request: the server did not say which header/,
    );
    expect(diagnosis.causes[0]).toMatch(
      /The path \/sockets may not be a WebSocket route of this server: some servers answer 400 rather than 404/,
    );
    expect(diagnosis.fix[0]).toMatch(/Check the path against the server's WebSocket routes/);
  });

  it('a verifyClient that refuses with 401 and no challenge: credentials first, then Origin and --origin', async () => {
    const port = await wsServer({
      verifyClient: (info: { origin: string }) => info.origin === 'https://app.example',
    });
    const diagnosis = diagnosisOf(await probe(`ws://127.0.0.1:${port}/`));
    expect(diagnosis.summary).toBe(
      'HTTP/1.1 401 Unauthorized: the endpoint requires authentication.',
    );
    expect(diagnosis.causes[0]).toMatch(/No credentials were sent/);
    expect(diagnosis.causes[1]).toMatch(/Origin header and the doctor sent none/);
    expect(diagnosis.fix.join('\n')).toMatch(/--origin https:\/\/your\.site/);
    const allowed = await probe(`ws://127.0.0.1:${port}/`, { origin: 'https://app.example' });
    expect(allowed.exitCode).toBe(0);
  });

  it('a 401 with WWW-Authenticate is about credentials only', async () => {
    const port = await wsServer({
      verifyClient: (_info, done) =>
        done(false, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer realm="ws"' }),
    });
    const diagnosis = diagnosisOf(await probe(`ws://127.0.0.1:${port}/`));
    expect(diagnosis.summary).toMatch(/\(WWW-Authenticate: Bearer realm="ws"\)/);
    expect(diagnosis.causes.join('\n')).not.toMatch(/Origin/);
    expect(diagnosis.fix[0]).toMatch(/--header 'Authorization: Bearer <token>'/);
  });

  it('a subprotocol chosen outside the offer (handleProtocols) fails the subprotocol step', async () => {
    const port = await wsServer({ handleProtocols: () => 'mqtt' });
    const report = await probe(`ws://127.0.0.1:${port}/`, { subprotocols: ['chat.v1', 'chat.v2'] });
    const diagnosis = diagnosisOf(report);
    expect(diagnosis.code).toBe('WSG_RESPONSE_SUBPROTOCOL_UNOFFERED');
    expect(diagnosis.step).toBe('subprotocol');
    expect(diagnosis.summary).toMatch(/the server chose mqtt; offered: chat\.v1, chat\.v2/);
    expect(diagnosis.causes[0]).toMatch(
      /outside the client's offer: browsers fail such a connection/,
    );
    expect(diagnosis.observed).toContain('Sec-WebSocket-Protocol: mqtt');
    expect(report.steps.find((step) => step.name === 'version')?.status).toBe('ok');
  });

  it('a message over maxPayload: 1009 without a reason, the doctor names its frame and the limit to raise', async () => {
    const port = await wsServer({ maxPayload: 8 });
    const report = await probe(`ws://127.0.0.1:${port}/`, { send: 'more than eight bytes' });
    const diagnosis = diagnosisOf(report);
    expect(diagnosis.code).toBe('WSG_CLOSE_UNEXPECTED');
    expect(diagnosis.step).toBe('echo');
    expect(diagnosis.summary).toBe(
      'The server closed the connection with 1009 (message too big: a message is larger than the server accepts).',
    );
    expect(diagnosis.causes[0]).toBe(
      "The doctor's text frame (FIN, masked), 21 bytes of payload is larger than this server accepts for one message.",
    );
    expect(diagnosis.causes[1]).toMatch(/wsgate closes with 1009 for: WSG_MESSAGE_TOO_BIG/);
    expect(diagnosis.fix[0]).toMatch(/ws: maxPayload; wsgate: maxMessageBytes/);
    expect(report.close).toEqual({ initiatedBy: 'server', code: 1009, reason: '' });
  });

  it('an application close 1008 says which rules an application enforces that way', async () => {
    const port = await wsServer({}, (socket) =>
      socket.on('message', () => socket.close(1008, 'token required')),
    );
    const diagnosis = diagnosisOf(await probe(`ws://127.0.0.1:${port}/`, { send: 'hi' }));
    expect(diagnosis.summary).toMatch(
      /closed the connection with 1008 \(policy violation.*\): "token required"/,
    );
    expect(diagnosis.causes[0]).toMatch(/refused the message or the connection by its own rules/);
    expect(diagnosis.causes[1]).toMatch(/--send "hi"\) is not one the endpoint accepts/);
    expect(diagnosis.fix[0]).toMatch(/--header 'Cookie: …'/);
  });

  it('a handler failure closed with 1011 points at the server log', async () => {
    const port = await wsServer({}, (socket) =>
      socket.on('message', () => socket.close(1011, 'oops')),
    );
    const diagnosis = diagnosisOf(await probe(`ws://127.0.0.1:${port}/`, { send: 'boom' }));
    expect(diagnosis.summary).toMatch(/1011 \(internal error/);
    expect(diagnosis.causes[0]).toMatch(/failed while handling the doctor's text frame/);
    expect(diagnosis.fix[0]).toMatch(/server log/);
  });

  it("an application's own close code (4000-4999) is left to the application", async () => {
    const port = await wsServer({}, (socket) =>
      socket.on('message', () => socket.close(4401, 'unauthorized')),
    );
    const diagnosis = diagnosisOf(await probe(`ws://127.0.0.1:${port}/`, { send: 'hi' }));
    expect(diagnosis.summary).toMatch(/4401 \(an application's own code/);
    expect(diagnosis.fix[0]).toBe(
      "Look up close code 4401 in the application's documentation or source.",
    );
  });

  it('a server that drops the connection on a message (terminate): 1006, no close frame', async () => {
    const port = await wsServer({}, (socket) => socket.on('message', () => socket.terminate()));
    const report = await probe(`ws://127.0.0.1:${port}/`, { send: 'hi' });
    expect(diagnosisOf(report).code).toBe('WSG_CONNECTION_LOST');
    expect(report.close).toEqual({ initiatedBy: 'server', code: 1006, reason: '' });
  });
});
