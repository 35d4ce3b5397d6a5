import { createServer, type ServerOptions } from '@wsgate/core';
import { createSessionCompression } from '@wsgate/core/adapter';
import { computeAcceptKey, encodeClosePayload, encodeFrame, Opcode } from '@wsgate/core/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, probe, rawWebSocketServer, serverFrame, switchingProtocols } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function wsgateEcho(options: ServerOptions = {}): Promise<number> {
  const server = await createServer(options);
  server.on('connection', (connection) => {
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
  cleanup.add(() => server.close({ timeoutMs: 100 }));
  return server.address()?.port as number;
}

describe('doctor: after the 101', () => {
  it('a healthy wsgate echo server with --send passes every step (exit 0)', async () => {
    const port = await wsgateEcho();
    const report = await probe(`ws://127.0.0.1:${port}/chat`, { send: 'hello doctor' });
    expect(report.diagnosis).toBeUndefined();
    expect(report.healthy).toBe(true);
    expect(report.exitCode).toBe(0);
    expect(report.steps.map((step) => `${step.name}:${step.status}`)).toEqual([
      'url:ok',
      'dns:skipped',
      'tcp:ok',
      'tls:skipped',
      'upgrade:ok',
      'version:ok',
      'subprotocol:ok',
      'extensions:ok',
      'echo:ok',
      'close:ok',
    ]);
    expect(report.roundTrip).toMatchObject({
      kind: 'echo',
      sent: '"hello doctor"',
      received: '"hello doctor"',
    });
    expect(report.steps.find((step) => step.name === 'echo')?.summary).toMatch(/^echoed in/);
    expect(report.steps.find((step) => step.name === 'extensions')?.summary).toMatch(
      /permessage-deflate/,
    );
    expect(report.close).toMatchObject({ initiatedBy: 'doctor', code: 1000 });
    // Capture is off unless asked for.
    expect(report.capture).toBeUndefined();
  });

  it('without --send, a ping and its pong', async () => {
    const port = await wsgateEcho();
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.exitCode).toBe(0);
    expect(report.roundTrip?.kind).toBe('ping');
    expect(report.steps.find((step) => step.name === 'echo')?.summary).toMatch(
      /ping answered by a pong/,
    );
  });

  it('a compressed echo (over the deflate threshold) is inflated and compared', async () => {
    const port = await wsgateEcho();
    const text = 'compress me '.repeat(200);
    const report = await probe(`ws://127.0.0.1:${port}/`, { send: text });
    expect(report.diagnosis).toBeUndefined();
    expect(report.steps.find((step) => step.name === 'echo')?.summary).toMatch(/^echoed in/);
    const reply = report.exchange.find(
      (entry) => entry.direction === 'received' && entry.kind === 'frame',
    );
    expect(reply?.summary).toMatch(/^text frame \(FIN, RSV1\), \d+ bytes of payload$/);
  });

  it('compressed messages with context takeover: the second is inflated with the window of the first (RFC 7692 §7.2.3)', async () => {
    // One compression context per connection (probe() connects twice, library then CLI).
    const newCodec = () =>
      createSessionCompression(
        {
          serverNoContextTakeover: false,
          clientNoContextTakeover: false,
          serverMaxWindowBits: 15,
          clientMaxWindowBits: 15,
        },
        'server',
      ).codec;
    let codec = newCodec();
    const compressed = (text: string): Buffer =>
      Buffer.concat(encodeFrame(Opcode.text, codec.compress(Buffer.from(text)), { rsv1: true }));
    const greeting = 'welcome to the echo, here is a long greeting';
    const port = await rawWebSocketServer(
      cleanup,
      (socket, frame) => {
        // The echo repeats the greeting: compressed with context takeover, it refers back to it.
        if (frame.opcode === Opcode.text)
          socket.write(compressed(`${greeting} / ${frame.payload.toString()}`));
        if (frame.opcode === Opcode.close) socket.end(serverFrame(Opcode.close, frame.payload));
      },
      (key) => {
        codec = newCodec();
        return (
          switchingProtocols(key, ['Sec-WebSocket-Extensions: permessage-deflate']) +
          compressed(greeting).toString('latin1')
        );
      },
    );
    const report = await probe(`ws://127.0.0.1:${port}/`, { send: 'hi' });
    expect(report.diagnosis).toBeUndefined();
    expect(report.notes.join('\n')).toContain(`sent a text message first: "${greeting}"`);
    expect(report.roundTrip?.received).toBe(JSON.stringify(`${greeting} / hi`));
  });

  it('a compressed message that does not inflate: WSG_COMPRESSED_DATA_INVALID with its bytes', async () => {
    const port = await rawWebSocketServer(
      cleanup,
      (socket, frame) => {
        if (frame.opcode === Opcode.text)
          socket.write(
            Buffer.concat(encodeFrame(Opcode.text, Buffer.from('ffffffff', 'hex'), { rsv1: true })),
          );
      },
      (key) => switchingProtocols(key, ['Sec-WebSocket-Extensions: permessage-deflate']),
    );
    const report = await probe(`ws://127.0.0.1:${port}/`, { send: 'hi' });
    expect(report.diagnosis?.code).toBe('WSG_COMPRESSED_DATA_INVALID');
    expect(report.diagnosis?.summary).toMatch(
      /a compressed message of 4 bytes does not inflate: ff ff ff ff/,
    );
  });

  it('a subprotocol offered and chosen is reported', async () => {
    const port = await wsgateEcho({ subprotocols: ['chat.v2'] });
    const report = await probe(`ws://127.0.0.1:${port}/`, {
      subprotocols: ['chat.v3', 'chat.v2'],
    });
    expect(report.exitCode).toBe(0);
    expect(report.steps.find((step) => step.name === 'subprotocol')?.summary).toBe(
      'chat.v2 chosen from chat.v3, chat.v2',
    );
  });

  it('a wrong Sec-WebSocket-Accept fails the version step with the expected and received values', async () => {
    const port = await rawWebSocketServer(
      cleanup,
      () => {},
      (key) =>
        switchingProtocols(key).replace(computeAcceptKey(key), 'dGhpcyBpcyBub3QgdGhlIGtleQ=='),
    );
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.exitCode).toBe(1);
    expect(report.diagnosis?.code).toBe('WSG_ACCEPT_MISMATCH');
    expect(report.diagnosis?.step).toBe('version');
    expect(report.diagnosis?.summary).toMatch(/got dGhpcyBpcyBub3QgdGhlIGtleQ==/);
    expect(report.diagnosis?.observed.join('\n')).toMatch(
      /Sec-WebSocket-Accept received: dGhpcyBpcyBub3QgdGhlIGtleQ==/,
    );
    expect(report.steps.find((step) => step.name === 'upgrade')?.status).toBe('ok');
  });

  it('a subprotocol that was not offered fails the subprotocol step', async () => {
    const port = await rawWebSocketServer(
      cleanup,
      () => {},
      (key) => switchingProtocols(key, ['Sec-WebSocket-Protocol: mqtt']),
    );
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis?.code).toBe('WSG_RESPONSE_SUBPROTOCOL_UNOFFERED');
    expect(report.diagnosis?.step).toBe('subprotocol');
    expect(report.diagnosis?.summary).toMatch(/the server chose mqtt; offered: none/);
  });

  it('an extension that was not offered fails the extensions step', async () => {
    const port = await rawWebSocketServer(
      cleanup,
      () => {},
      (key) => switchingProtocols(key, ['Sec-WebSocket-Extensions: permessage-deflate']),
    );
    const report = await probe(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    expect(report.diagnosis?.code).toBe('WSG_RESPONSE_EXTENSION_UNOFFERED');
    expect(report.diagnosis?.step).toBe('extensions');
    expect(report.diagnosis?.summary).toMatch(/accepted permessage-deflate, which was not offered/);
    expect(report.steps.find((step) => step.name === 'subprotocol')?.status).toBe('ok');
  });

  it('an extension other than the one offered (permessage-deflate offered) fails the extensions step', async () => {
    const port = await rawWebSocketServer(
      cleanup,
      () => {},
      (key) => switchingProtocols(key, ['Sec-WebSocket-Extensions: x-webkit-deflate-frame']),
    );
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis?.code).toBe('WSG_RESPONSE_EXTENSION_UNOFFERED');
    expect(report.diagnosis?.step).toBe('extensions');
    expect(report.diagnosis?.summary).toMatch(/x-webkit-deflate-frame/);
    expect(report.diagnosis?.observed).toContain(
      'Sec-WebSocket-Extensions offered: permessage-deflate; client_max_window_bits',
    );
    expect(report.diagnosis?.causes[0]).toMatch(/outside the offer \(RFC 7692 §7\.1\)/);
  });

  it('permessage-deflate parameters that do not fit the offer fail the extensions step', async () => {
    const port = await rawWebSocketServer(
      cleanup,
      () => {},
      // RFC 7692 §7.1.2.2: client_max_window_bits in a response must carry a value.
      (key) =>
        switchingProtocols(key, [
          'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits',
        ]),
    );
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis?.code).toBe('WSG_RESPONSE_EXTENSION_UNOFFERED');
    expect(report.diagnosis?.step).toBe('extensions');
    expect(report.diagnosis?.summary).toMatch(/parameters do not fit the offer/);
  });

  it('a server that closes with 1002 after one message: the close explained, with the frame the doctor sent', async () => {
    const port = await rawWebSocketServer(cleanup, (socket, frame) => {
      if (frame.opcode === Opcode.text)
        socket.end(serverFrame(Opcode.close, encodeClosePayload(1002, 'bad frame')));
    });
    const report = await probe(`ws://127.0.0.1:${port}/`, { send: 'hello' });
    expect(report.exitCode).toBe(1);
    expect(report.diagnosis?.code).toBe('WSG_CLOSE_UNEXPECTED');
    expect(report.diagnosis?.step).toBe('echo');
    expect(report.diagnosis?.summary).toMatch(
      /closed the connection with 1002 \(protocol error.*\): "bad frame"/,
    );
    const observed = report.diagnosis?.observed.join('\n') ?? '';
    expect(observed).toMatch(
      /after the doctor sent: text frame \(FIN, masked\), 5 bytes of payload/,
    );
    expect(observed).toMatch(/that frame's bytes: 81 85/);
    expect(report.diagnosis?.causes.join('\n')).toMatch(
      /wsgate closes with 1002 for: WSG_FRAME_UNMASKED/,
    );
    expect(report.close).toEqual({ initiatedBy: 'server', code: 1002, reason: 'bad frame' });
  });

  it('a wsgate close reason is looked up in the catalogue (1009 WSG_MESSAGE_TOO_BIG)', async () => {
    const port = await wsgateEcho({ maxMessageBytes: 4 });
    const report = await probe(`ws://127.0.0.1:${port}/`, { send: 'far too long' });
    expect(report.diagnosis?.code).toBe('WSG_MESSAGE_TOO_BIG');
    expect(report.diagnosis?.serverCode).toBe('WSG_MESSAGE_TOO_BIG');
    expect(report.diagnosis?.summary).toMatch(
      /closed with 1009 WSG_MESSAGE_TOO_BIG: Message too big/,
    );
    expect(report.diagnosis?.fix.join('\n')).toMatch(/maxMessageBytes/);
    expect(report.close?.reasonCode).toBe('WSG_MESSAGE_TOO_BIG');
  });

  it('an application close 1008 without a wsgate code lists what 1008 can mean', async () => {
    const server = await createServer();
    server.on('connection', (connection) =>
      connection.on('message', () => connection.close(1008, 'no chat here')),
    );
    cleanup.add(() => server.close({ timeoutMs: 100 }));
    const report = await probe(`ws://127.0.0.1:${server.address()?.port}/`, { send: 'hi' });
    expect(report.diagnosis?.code).toBe('WSG_CLOSE_UNEXPECTED');
    expect(report.diagnosis?.summary).toMatch(/1008 \(policy violation.*\): "no chat here"/);
    expect(report.diagnosis?.causes.join('\n')).toMatch(
      /WSG_POLICY_VIOLATION \(Policy violation\); WSG_MESSAGE_MALFORMED|WSG_POLICY_VIOLATION \(Policy violation\)/,
    );
  });

  it('a handler that throws on a wsgate server: 1011 WSG_INTERNAL_ERROR, with the catalogue fix', async () => {
    const server = await createServer();
    server.on('connection', (connection) =>
      connection.on('message', () => {
        throw new Error('handler bug');
      }),
    );
    cleanup.add(() => server.close({ timeoutMs: 100 }));
    const report = await probe(`ws://127.0.0.1:${server.address()?.port}/`, { send: 'boom' });
    expect(report.diagnosis?.code).toBe('WSG_INTERNAL_ERROR');
    expect(report.diagnosis?.summary).toMatch(/closed with 1011 WSG_INTERNAL_ERROR/);
    expect(report.diagnosis?.fix.join('\n')).toMatch(/wsgate\.connection\.handler_failed/);
    expect(JSON.stringify(report)).not.toMatch(/handler bug/);
  });

  it('a server that drops TCP without a close frame: 1006, WSG_CONNECTION_LOST', async () => {
    const port = await rawWebSocketServer(cleanup, (socket) => socket.destroy());
    const report = await probe(`ws://127.0.0.1:${port}/`, { send: 'hello' });
    expect(report.diagnosis?.code).toBe('WSG_CONNECTION_LOST');
    expect(report.diagnosis?.step).toBe('echo');
    expect(report.diagnosis?.summary).toMatch(/without a close frame \(1006/);
    expect(report.close?.code).toBe(1006);
  });

  it('a server that does not answer pings: WSG_REPLY_TIMEOUT', async () => {
    const port = await rawWebSocketServer(cleanup, () => {});
    const report = await probe(`ws://127.0.0.1:${port}/`, { timeoutMs: 300 });
    expect(report.diagnosis?.code).toBe('WSG_REPLY_TIMEOUT');
    expect(report.diagnosis?.summary).toMatch(/No pong for the doctor's ping within 300 ms/);
  });

  it('a server that sends a masked frame breaks RFC 6455 §5.1: WSG_FRAME_MASKED', async () => {
    const port = await rawWebSocketServer(cleanup, (socket, frame) => {
      if (frame.opcode === Opcode.ping) socket.write(Buffer.from([0x8a, 0x80, 1, 2, 3, 4]));
    });
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis?.code).toBe('WSG_FRAME_MASKED');
    expect(report.diagnosis?.summary).toMatch(/masked pong frame/);
  });

  it('a server that never answers the close frame: WSG_CLOSE_TIMEOUT at the close step', async () => {
    const port = await rawWebSocketServer(cleanup, (socket, frame) => {
      if (frame.opcode === Opcode.ping) socket.write(serverFrame(Opcode.pong, frame.payload));
    });
    const report = await probe(`ws://127.0.0.1:${port}/`, { timeoutMs: 300 });
    expect(report.diagnosis?.code).toBe('WSG_CLOSE_TIMEOUT');
    expect(report.diagnosis?.step).toBe('close');
    expect(report.steps.find((step) => step.name === 'echo')?.status).toBe('ok');
  });

  it('a server that answers a close frame by dropping TCP: 1006 at the close step', async () => {
    const port = await rawWebSocketServer(cleanup, (socket, frame) => {
      if (frame.opcode === Opcode.ping) socket.write(serverFrame(Opcode.pong, frame.payload));
      if (frame.opcode === Opcode.close) socket.end();
    });
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis?.code).toBe('WSG_CONNECTION_LOST');
    expect(report.diagnosis?.step).toBe('close');
  });

  it('a greeting before the pong is noted, not a failure', async () => {
    const port = await rawWebSocketServer(
      cleanup,
      (socket, frame) => {
        if (frame.opcode === Opcode.ping) socket.write(serverFrame(Opcode.pong, frame.payload));
        if (frame.opcode === Opcode.close) socket.end(serverFrame(Opcode.close, frame.payload));
      },
      (key) =>
        switchingProtocols(key) +
        serverFrame(Opcode.text, Buffer.from('welcome')).toString('latin1'),
    );
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis).toBeUndefined();
    expect(report.exitCode).toBe(0);
    expect(report.notes.join('\n')).toMatch(/sent a text message first: "welcome"/);
  });
});
