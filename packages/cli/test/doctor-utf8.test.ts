import { createConnection, type Socket } from 'node:net';
import { createServer } from '@wsgate/core';
import { encodeClosePayload, encodeFrame, Opcode } from '@wsgate/core/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, probe, rawWebSocketServer, readRequestHead, serverFrame } from './helpers.js';

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

  it('a wsgate server given the same first fragment, masked, fails it with the same code the doctor reports', async () => {
    const server = await createServer();
    cleanup.add(() => server.close({ timeoutMs: 100 }));
    const socket = createConnection({ host: '127.0.0.1', port: server.address()?.port as number });
    cleanup.add(() => socket.destroy());
    socket.write(
      [
        'GET / HTTP/1.1',
        `Host: 127.0.0.1:${server.address()?.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        '',
        '',
      ].join('\r\n'),
    );
    const { head, rest } = await readRequestHead(socket);
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    const answer = new Promise<Buffer>((resolve) => {
      let received = rest;
      const onData = (chunk: Buffer): void => {
        received = Buffer.concat([received, chunk]);
        // An unmasked close frame with a short payload: 0x88, its length, then the payload.
        if (received.length >= 2 && received.length >= 2 + (received[1] as number)) {
          socket.off('data', onData);
          resolve(received);
        }
      };
      socket.on('data', onData);
      if (rest.length > 0) onData(Buffer.alloc(0));
    });
    socket.write(Buffer.concat(encodeFrame(Opcode.text, BROKEN_TEXT, { fin: false, mask: true })));
    const close = await answer;
    expect(close[0]).toBe(0x88);
    expect(close.readUInt16BE(2)).toBe(1007);
    const serverCode = close.subarray(4).toString().split(':')[0];

    const { port } = await firstFragmentOnly();
    const report = await probe(`ws://127.0.0.1:${port}/`, { send: 'hi' });
    expect(report.diagnosis?.code).toBe(serverCode);
  });
});
