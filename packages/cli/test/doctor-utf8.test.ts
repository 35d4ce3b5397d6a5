import type { Socket } from 'node:net';
import { encodeClosePayload, encodeFrame, Opcode } from '@wsgate/core/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, probe, rawWebSocketServer, serverFrame } from './helpers.js';

// The doctor reads the server's frames through core's client session, so it judges a text
// message the way a wsgate server does: invalid UTF-8 fails at the byte that breaks it
// (RFC 6455 §8.1), not when the message ends, which a broken server may never let happen.

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** "h", then 0xc3 0x28: a lead byte followed by a byte that cannot continue it. */
const BROKEN_TEXT = Buffer.from([0x68, 0xc3, 0x28]);

/** A raw server that answers the doctor's text message with the first fragment only. */
async function firstFragmentOnly(then: (socket: Socket) => void = () => {}): Promise<{
  port: number;
  closeFrames: Buffer[];
}> {
  const closeFrames: Buffer[] = [];
  const port = await rawWebSocketServer(cleanup, (socket, frame) => {
    if (frame.opcode === Opcode.text) {
      socket.write(Buffer.concat(encodeFrame(Opcode.text, BROKEN_TEXT, { fin: false })));
      then(socket);
    }
    if (frame.opcode === Opcode.close) closeFrames.push(frame.payload);
  });
  return { port, closeFrames };
}

describe('doctor: UTF-8 is judged as the bytes arrive, as the server judges it', () => {
  it('a first fragment with invalid UTF-8 and no final fragment fails the echo step with WSG_TEXT_INVALID_UTF8 at once, not at the timeout', async () => {
    const { port, closeFrames } = await firstFragmentOnly();
    const started = performance.now();
    const report = await probe(`ws://127.0.0.1:${port}/`, { send: 'hi', timeoutMs: 8_000 });
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(report.diagnosis?.code).toBe('WSG_TEXT_INVALID_UTF8');
    expect(report.diagnosis?.step).toBe('echo');
    expect(report.diagnosis?.summary).toMatch(/text frame \(no FIN\), 3 bytes of payload/);
    expect(report.diagnosis?.observed.join('\n')).toMatch(/68 c3 28/);
    // The doctor fails the connection as a wsgate server would: close 1007 naming the code.
    const close = closeFrames[0];
    expect(close?.readUInt16BE(0)).toBe(1007);
    expect(close?.subarray(2).toString()).toMatch(/^WSG_TEXT_INVALID_UTF8/);
  });

  it('a first fragment with invalid UTF-8 followed by a close frame is reported as the invalid UTF-8, not as the close', async () => {
    const { port } = await firstFragmentOnly((socket) =>
      socket.write(serverFrame(Opcode.close, encodeClosePayload(1000, 'bye'))),
    );
    const report = await probe(`ws://127.0.0.1:${port}/`, { send: 'hi' });
    expect(report.diagnosis?.code).toBe('WSG_TEXT_INVALID_UTF8');
    expect(report.diagnosis?.step).toBe('echo');
  });
});
