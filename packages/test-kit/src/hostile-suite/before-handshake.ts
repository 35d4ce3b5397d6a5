import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { rawExchange } from '../raw-http.js';
import { type HostileDemo, MiB } from './hostile-demo.js';
import { flushed, handshakeHead, pacedExchange } from './raw-clients.js';

/** Before the handshake: garbage, oversized heads, many headers, resets mid-handshake. */
export function beforeHandshakeChecks(demo: HostileDemo): void {
  const { raw, expectStillServing, expectSocketsFreed } = demo;

  it('answers garbage bytes instead of an HTTP request with 400 and closes', async () => {
    const garbage = Buffer.from('16030100a5010000a103035ce1f0c2d1e3ffff00000d0a0d0a', 'hex');
    const response = await rawExchange(demo.port, garbage, { timeoutMs: 3_000 });
    expect(response.status).toBe(400);
    expect(response.closedByServer).toBe(true);
    await expectStillServing();
  });

  it('answers a request line of 100 KiB with 431', async () => {
    const head = handshakeHead(demo.port, `/echo?${'a'.repeat(100 * 1024)}`);
    const response = await pacedExchange(demo.port, head, 16 * 1024);
    expect(response.status).toBe(431);
    expect(response.closedByServer).toBe(true);
    await expectStillServing();
  });

  it('accepts a handshake with 200 headers, within the 16 KiB head limit, and echoes on it', async () => {
    const extra: Record<string, string> = {};
    for (let i = 0; i < 200; i++) extra[`X-Header-${i}`] = `value ${i}`;
    const client = await raw('/echo', { headers: extra });
    expect(client.response.status).toBe(101);
    client.sendFrame(1, 'two hundred headers');
    const [echo] = await client.waitForFrames(1);
    expect(echo?.payload.toString()).toBe('two hundred headers');
    await expectStillServing();
  });

  it('answers a header of 1 MiB with 431 and closes', async () => {
    const head = handshakeHead(demo.port, '/echo', { 'X-Big': 'b'.repeat(MiB) });
    const response = await pacedExchange(demo.port, head, 16 * 1024);
    expect(response.status).toBe(431);
    expect(response.closedByServer).toBe(true);
    await expectStillServing();
  });

  it('keeps serving after resets in the middle of handshakes, and frees their sockets', async () => {
    const head = handshakeHead(demo.port, '/echo');
    for (let i = 0; i < 40; i++) {
      const socket = connect({ port: demo.port, host: '127.0.0.1' });
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      // Half the head, or all of it with the 101 left unread: either way a reset follows.
      socket.write(i % 2 === 0 ? head.subarray(0, 60) : head);
      await flushed(socket);
      socket.resetAndDestroy();
    }
    await expectStillServing();
    await expectSocketsFreed();
  });
}
