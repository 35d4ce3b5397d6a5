import { encodeFrame, Opcode } from '@wsgate/core/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, probe, rawWebSocketServer, serverFrame, switchingProtocols } from './helpers.js';

// Frames that break RFC 6455, judged by core's client session: the doctor reports the session's
// code, quotes the frame, and fails the connection with the close frame a wsgate server sends.

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A raw server that answers the doctor's ping with `bytes`. */
function answersPingWith(bytes: Buffer): Promise<number> {
  return rawWebSocketServer(cleanup, (socket, frame) => {
    if (frame.opcode === Opcode.ping) socket.write(bytes);
  });
}

describe('doctor: frames judged by the session', () => {
  it('a frame header announcing 17 MiB fails the echo step with WSG_MESSAGE_TOO_BIG before any payload', async () => {
    // 0x81, 127, then a 64-bit length of 17 MiB, and no payload at all.
    const header = Buffer.from('817f0000000001100000', 'hex');
    const port = await answersPingWith(header);
    const report = await probe(`ws://127.0.0.1:${port}/`, { timeoutMs: 5_000 });
    expect(report.diagnosis?.code).toBe('WSG_MESSAGE_TOO_BIG');
    expect(report.diagnosis?.step).toBe('echo');
    expect(report.diagnosis?.summary).toMatch(
      /^The server sent more than the doctor reads: a text frame \(FIN\), 17825792 bytes of payload/,
    );
  });

  it('a new message inside a fragmented one: WSG_CONTINUATION_EXPECTED (RFC 6455 §5.4)', async () => {
    const port = await answersPingWith(
      Buffer.concat([
        ...encodeFrame(Opcode.text, Buffer.from('one'), { fin: false }),
        serverFrame(Opcode.text, Buffer.from('two')),
      ]),
    );
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis?.code).toBe('WSG_CONTINUATION_EXPECTED');
    expect(report.diagnosis?.summary).toBe(
      'The server broke RFC 6455: the server started a new message inside a fragmented one.',
    );
  });

  it('a close frame with code 1005, which is never sent: WSG_CLOSE_CODE_INVALID, quoting the payload', async () => {
    const port = await answersPingWith(serverFrame(Opcode.close, Buffer.from([0x03, 0xed])));
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis?.code).toBe('WSG_CLOSE_CODE_INVALID');
    expect(report.diagnosis?.summary).toMatch(/invalid close frame: 03 ed/);
    expect(report.diagnosis?.observed.join('\n')).toMatch(/close 1002 "WSG_CLOSE_CODE_INVALID/);
  });

  it("a server's ping is answered with a pong carrying its payload, and noted", async () => {
    const pongs: Buffer[] = [];
    const port = await rawWebSocketServer(
      cleanup,
      (socket, frame) => {
        if (frame.opcode === Opcode.pong) pongs.push(frame.payload);
        if (frame.opcode === Opcode.ping) socket.write(serverFrame(Opcode.pong, frame.payload));
        if (frame.opcode === Opcode.close) socket.end(serverFrame(Opcode.close, frame.payload));
      },
      (key) =>
        switchingProtocols(key) +
        serverFrame(Opcode.ping, Buffer.from('are you there')).toString('latin1'),
    );
    const report = await probe(`ws://127.0.0.1:${port}/`);
    expect(report.diagnosis).toBeUndefined();
    expect(report.notes).toContain(
      'The server sent a ping (13 bytes); the doctor answered with a pong.',
    );
    expect(pongs.map((payload) => payload.toString())).toContain('are you there');
    const sent = report.exchange.filter(
      (entry) => entry.direction === 'sent' && entry.kind === 'frame',
    );
    expect(sent[0]?.summary).toBe('pong frame (FIN, masked), 13 bytes of payload');
  });
});
