import { connect as connectTcp } from 'node:net';
import {
  clientFrame,
  clientFrameHeader,
  delay,
  nextEvent,
  openRawWebSocket,
  openWs,
  type RawWebSocket,
  waitFor,
  wsClosed,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerOptions, WebSocketConnection, WsgateError } from '../../src/index.js';
import { DEFAULT_MAX_BUFFERED_BYTES } from '../../src/node/connection.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '../../src/node/server.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../src/protocol/index.js';
import { closeHarnesses, type Harness, startHarness } from './harness.js';

const raws: RawWebSocket[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  await closeHarnesses();
});

function harness(options: ServerOptions = {}): Promise<Harness> {
  return startHarness(options, { echo: true, record: false });
}

async function raw(port: number): Promise<RawWebSocket> {
  const socket = await openRawWebSocket(port);
  raws.push(socket);
  return socket;
}

function closeEvent(connection: WebSocketConnection, timeoutMs = 5_000) {
  return nextEvent<[number, string, WsgateError | undefined]>(connection, 'close', timeoutMs);
}

/** A binary message whose first four bytes carry its sequence number. */
function numbered(index: number, size: number): Buffer {
  const message = Buffer.alloc(size, index & 0xff);
  message.writeUInt32BE(index, 0);
  return message;
}

describe('maxMessageBytes', () => {
  it('closes with 1009 from the frame header alone, before any payload is sent', async () => {
    const h = await harness({ maxMessageBytes: 1024 * 1024 });
    const client = await raw(h.port);
    const connection = await h.connection();
    const closed = closeEvent(connection);
    // Only the 14-byte header announcing 2 MiB goes out; the payload never follows.
    client.sendRaw(clientFrameHeader(2, 2 * 1024 * 1024));
    await client.waitForFrames(1);
    const frame = client.closeFrame();
    expect(frame?.code).toBe(1009);
    expect(frame?.reason.startsWith('WSG_MESSAGE_TOO_BIG')).toBe(true);
    expect(await client.waitForClose()).toBe(true);
    const [code, , error] = await closed;
    expect(code).toBe(1009);
    expect(error?.code).toBe('WSG_MESSAGE_TOO_BIG');
  });

  it('closes with 1009 when fragments add up to more than the limit', async () => {
    const h = await harness({ maxMessageBytes: 1000 });
    const client = await raw(h.port);
    client.sendRaw(
      Buffer.concat([
        clientFrame(2, Buffer.alloc(600), { fin: false }),
        clientFrameHeader(0, 600, { fin: true }),
      ]),
    );
    await client.waitForFrames(1);
    expect(client.closeFrame()?.code).toBe(1009);
  });

  it('accepts a message of exactly maxMessageBytes', async () => {
    const h = await harness({ maxMessageBytes: 100_000 });
    const socket = await openWs(h.url, { perMessageDeflate: false });
    const answer = wsNextMessage(socket);
    const message = numbered(7, 100_000);
    socket.send(message);
    expect((await answer).data.equals(message)).toBe(true);
    const closed = wsClosed(socket);
    socket.send(Buffer.alloc(100_001));
    expect((await closed).code).toBe(1009);
  });
});

describe('safe defaults', () => {
  it('limits messages to 16 MiB by default (close 1009), well below 100 MiB', async () => {
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(16 * 1024 * 1024);
    const h = await harness();
    const client = await raw(h.port);
    client.sendRaw(clientFrameHeader(2, DEFAULT_MAX_MESSAGE_BYTES + 1));
    await client.waitForFrames(1);
    expect(client.closeFrame()?.code).toBe(1009);
    expect(client.closeFrame()?.reason.startsWith('WSG_MESSAGE_TOO_BIG')).toBe(true);
  });

  it('cuts off a client sending its head at one byte per second within the default handshake timeout (at most 10 s)', async () => {
    expect(DEFAULT_HANDSHAKE_TIMEOUT_MS).toBeLessThanOrEqual(10_000);
    const h = await harness();
    const request = Buffer.from(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
    );
    const started = Date.now();
    const { received, closedAfterMs, sent } = await new Promise<{
      received: string;
      closedAfterMs: number;
      sent: number;
    }>((resolve) => {
      const socket = connectTcp({ port: h.port, host: '127.0.0.1' });
      let received = '';
      let sent = 0;
      const drip = setInterval(() => {
        if (socket.destroyed || sent >= request.length) return;
        socket.write(request.subarray(sent, sent + 1));
        sent++;
      }, 1_000);
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(drip);
        resolve({ received, closedAfterMs: Date.now() - started, sent });
      });
      setTimeout(() => socket.destroy(), 15_000).unref();
    });
    expect(received.startsWith('HTTP/1.1 408 Request Timeout\r\n')).toBe(true);
    expect(received).toContain('X-WSGate-Error: WSG_HANDSHAKE_TIMEOUT');
    expect(sent).toBeLessThan(request.length);
    expect(closedAfterMs).toBeGreaterThanOrEqual(DEFAULT_HANDSHAKE_TIMEOUT_MS - 100);
    expect(closedAfterMs).toBeLessThan(DEFAULT_HANDSHAKE_TIMEOUT_MS + 2_000);
  }, 20_000);

  it('closes a consumer that does not read with 1013 once the default cap is reached, and never holds more', async () => {
    const h = await harness();
    const client = await raw(h.port);
    client.socket.pause();
    const connection = await h.connection();
    const closed = closeEvent(connection, 10_000);
    const size = 1024 * 1024;
    let sent = 0;
    let highest = 0;
    // Bounded: at most 200 MiB; the default cap of 16 MiB (plus what the kernel holds) is far less.
    while (sent < 200 && connection.readyState === 1) {
      connection.send(numbered(sent, size));
      sent++;
      highest = Math.max(highest, connection.bufferedAmount);
      if (sent % 4 === 0) await delay(2);
    }
    expect(connection.readyState).toBe(2);
    expect(highest).toBeLessThanOrEqual(DEFAULT_MAX_BUFFERED_BYTES + 127);
    expect(highest).toBeGreaterThan(DEFAULT_MAX_BUFFERED_BYTES - 2 * size);
    client.destroy();
    const [code, , error] = await closed;
    expect(code).toBe(1013);
    expect(error?.code).toBe('WSG_SEND_BUFFER_FULL');
  });
});

describe('heartbeat', () => {
  it('frees a half-open peer (silent, never reading) and its per-address slot', async () => {
    const h = await harness({ heartbeatIntervalMs: 100, maxConnectionsPerAddress: 1 });
    const vanished = await raw(h.port);
    // A peer that is gone without a FIN: it neither reads nor answers pings.
    vanished.socket.pause();
    const connection = await h.connection();
    const [code, , error] = await closeEvent(connection, 3_000);
    expect(code).toBe(1006);
    expect(error?.code).toBe('WSG_HEARTBEAT_TIMEOUT');
    expect(h.server.clients.size).toBe(0);
    // The address may connect again: its slot was released.
    const again = await raw(h.port);
    expect(again.response.status).toBe(101);
    expect(h.logs).toContainEqual(expect.objectContaining({ code: 'WSG_HEARTBEAT_TIMEOUT' }));
  });
});

describe('pings from a peer that does not read its pongs', () => {
  const cap = 256 * 1024;
  // 125 bytes of payload: a 131-byte masked ping, answered by a 127-byte pong (RFC 6455 §5.5).
  const ping = clientFrame(9, Buffer.alloc(125, 0x70));
  const burst = Buffer.concat(Array.from({ length: 512 }, () => ping));

  /** Writes bursts of pings without reading until the server stops reading them (32 MiB at most). */
  /**
   * Writes bursts of pings without reading until the server stops reading them (32 MiB at most):
   * each time the client's socket buffer fills, it waits for either a drain (the server read on)
   * or the server's queue for this peer passing the cap (the server stopped reading).
   */
  async function pingUntilStalled(
    client: RawWebSocket,
    connection: WebSocketConnection,
  ): Promise<number> {
    let queued = 0;
    while (queued < 32 * 1024 * 1024) {
      queued += burst.length;
      if (client.socket.write(burst)) continue;
      let drained = false;
      const onDrain = (): void => {
        drained = true;
      };
      client.socket.once('drain', onDrain);
      await waitFor(() => drained || connection.bufferedAmount > cap, {
        timeoutMs: 10_000,
        what: 'a drain, or the server stopping to read',
      });
      client.socket.off('drain', onDrain);
      if (!drained) break;
    }
    return queued / ping.length;
  }

  it.each(['close', 'drop', 'wait'] as const)(
    "with the '%s' policy, stops reading once maxBufferedBytes of pongs wait, and answers every ping once the peer reads",
    async (slowConsumerPolicy) => {
      const h = await harness({ maxBufferedBytes: cap, slowConsumerPolicy });
      const client = await raw(h.port);
      client.socket.pause();
      const connection = await h.connection();
      let highest = 0;
      const sampler = setInterval(() => {
        highest = Math.max(highest, connection.bufferedAmount);
      }, 1);
      const pings = await pingUntilStalled(client, connection);
      clearInterval(sampler);
      highest = Math.max(highest, connection.bufferedAmount);
      // Reading stopped: the pings of one read past the cap (64 KiB at most) are still answered.
      expect(pings * ping.length).toBeLessThan(32 * 1024 * 1024);
      expect(highest).toBeGreaterThan(cap);
      expect(highest).toBeLessThanOrEqual(cap + 64 * 1024);
      expect(connection.readyState).toBe(1);
      client.socket.resume();
      await waitFor(() => client.frames.length >= pings, {
        timeoutMs: 10_000,
        what: `${pings} pongs`,
      });
      expect(client.frames).toHaveLength(pings);
      expect(client.frames.every((frame) => frame.opcode === 10)).toBe(true);
      client.sendFrame(1, 'after the pings');
      await client.waitForFrames(pings + 1);
      expect(client.frames.at(-1)?.payload.toString()).toBe('after the pings');
      expect(connection.readyState).toBe(1);
    },
  );

  it('keeps reading when the cap is below what the socket buffers before asking for a drain', async () => {
    const h = await harness({ maxBufferedBytes: 1000 });
    const client = await raw(h.port);
    client.sendRaw(Buffer.concat(Array.from({ length: 100 }, () => ping)));
    await client.waitForFrames(100);
    client.sendFrame(1, 'read on');
    const frames = await client.waitForFrames(101);
    expect(frames.slice(0, 100).every((frame) => frame.opcode === 10)).toBe(true);
    expect(frames[100]?.payload.toString()).toBe('read on');
  });
});

describe('fragments', () => {
  it('echoes a 4 MiB message sent in 65,536 fragments of 64 bytes as one message', async () => {
    const h = await harness();
    const client = await raw(h.port);
    const message = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < message.length; i++) message[i] = (i * 7 + (i >> 12)) & 0xff;
    const frames: Buffer[] = [];
    for (let offset = 0; offset < message.length; offset += 64) {
      frames.push(
        clientFrame(offset === 0 ? 2 : 0, message.subarray(offset, offset + 64), {
          fin: offset + 64 >= message.length,
        }),
      );
    }
    expect(frames).toHaveLength(65_536);
    // Written in batches of 10,000 frames (700 KB), as a client writing as fast as it can would.
    for (let i = 0; i < frames.length; i += 10_000)
      client.sendRaw(Buffer.concat(frames.slice(i, i + 10_000)));
    await client.waitForFrames(1, 15_000);
    expect(client.frames).toHaveLength(1);
    expect(client.frames[0]?.opcode).toBe(2);
    expect(client.frames[0]?.payload.equals(message)).toBe(true);
  });
});

describe('maxMessagesPerSecond', () => {
  it('closes with 1008 WSG_MESSAGE_RATE_EXCEEDED beyond the rate, after delivering the allowed messages', async () => {
    const h = await harness({ maxMessagesPerSecond: 5 });
    const socket = await openWs(h.url, { perMessageDeflate: false });
    const echoes: string[] = [];
    socket.on('message', (data) => echoes.push(String(data)));
    const closed = wsClosed(socket);
    for (let i = 0; i < 20; i++) socket.send(`message ${i}`);
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason.startsWith('WSG_MESSAGE_RATE_EXCEEDED')).toBe(true);
    expect(echoes).toEqual(['message 0', 'message 1', 'message 2', 'message 3', 'message 4']);
  });

  it('allows the rate again as the monotonic clock advances, one message per 1/rate second', async () => {
    let now = 0;
    const h = await harness({ maxMessagesPerSecond: 4, clock: () => now });
    const socket = await openWs(h.url, { perMessageDeflate: false });
    let echoes = 0;
    socket.on('message', () => echoes++);
    for (let i = 0; i < 4; i++) socket.send('a');
    await waitFor(() => echoes === 4);
    now += 250;
    socket.send('b');
    await waitFor(() => echoes === 5);
    now += 1_000;
    for (let i = 0; i < 4; i++) socket.send('c');
    await waitFor(() => echoes === 9);
    expect(socket.readyState).toBe(socket.OPEN);
    socket.close();
  });

  it('refuses a burst straddling a second: the rate just before it and again just after closes 1008', async () => {
    let now = 0;
    const h = await harness({ maxMessagesPerSecond: 4, clock: () => now });
    const socket = await openWs(h.url, { perMessageDeflate: false });
    let echoes = 0;
    socket.on('message', () => echoes++);
    const closed = wsClosed(socket);
    socket.send('first');
    await waitFor(() => echoes === 1);
    now = 999;
    for (let i = 0; i < 3; i++) socket.send('before the edge');
    await waitFor(() => echoes === 4);
    now = 1_001;
    for (let i = 0; i < 4; i++) socket.send('after the edge');
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason.startsWith('WSG_MESSAGE_RATE_EXCEEDED')).toBe(true);
    // The bucket refilled by 999 ms / 250 ms = 3.996 messages before the edge, ~0 after it.
    expect(echoes).toBe(5);
  });

  it('does not read the wall clock: a system time set an hour forward opens no new allowance', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      const h = await harness({ maxMessagesPerSecond: 4 });
      const socket = await openWs(h.url, { perMessageDeflate: false });
      let echoes = 0;
      socket.on('message', () => echoes++);
      const closed = wsClosed(socket);
      for (let i = 0; i < 4; i++) socket.send('a');
      await waitFor(() => echoes === 4);
      vi.setSystemTime(Date.now() + 3_600_000);
      for (let i = 0; i < 4; i++) socket.send('b');
      const { code } = await closed;
      expect(code).toBe(1008);
      expect(echoes).toBe(4);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('idleTimeoutMs', () => {
  it('closes an idle connection with 1001 WSG_IDLE_TIMEOUT', async () => {
    const h = await harness({ idleTimeoutMs: 200 });
    const socket = await openWs(h.url);
    const connection = await h.connection();
    const serverClosed = closeEvent(connection);
    const { code, reason } = await wsClosed(socket);
    expect(code).toBe(1001);
    expect(reason.startsWith('WSG_IDLE_TIMEOUT')).toBe(true);
    const [serverCode, , error] = await serverClosed;
    expect(serverCode).toBe(1001);
    expect(error?.code).toBe('WSG_IDLE_TIMEOUT');
  });

  it('counts only what is received: a client that only listens is idle', async () => {
    const h = await harness({ idleTimeoutMs: 300 });
    const socket = await openWs(h.url);
    const connection = await h.connection();
    const ticker = setInterval(() => connection.send('news'), 50);
    try {
      const { code, reason } = await wsClosed(socket, 3_000);
      expect(code).toBe(1001);
      expect(reason.startsWith('WSG_IDLE_TIMEOUT')).toBe(true);
    } finally {
      clearInterval(ticker);
    }
  });

  it('keeps a connection that receives something within each period', async () => {
    const h = await harness({ idleTimeoutMs: 300 });
    const socket = await openWs(h.url);
    for (let i = 0; i < 8; i++) {
      await delay(100);
      socket.ping();
    }
    expect(socket.readyState).toBe(socket.OPEN);
    socket.close();
  });
});

describe('slow consumer policies', () => {
  const cap = 256 * 1024;
  const size = 60_000;

  it("'close' closes with 1013 WSG_SEND_BUFFER_FULL once the cap would be passed", async () => {
    const h = await harness({
      maxBufferedBytes: cap,
      slowConsumerPolicy: 'close',
      closeTimeoutMs: 5_000,
    });
    const client = await raw(h.port);
    client.socket.pause();
    const connection = await h.connection();
    const closed = closeEvent(connection);
    let sent = 0;
    let highest = 0;
    // Bounded: at most 800 messages (48 MB); the kernel's buffers fill long before.
    while (sent < 800 && connection.readyState === 1) {
      connection.send(numbered(sent, size));
      sent++;
      highest = Math.max(highest, connection.bufferedAmount);
      if (sent % 8 === 0) await delay(2);
    }
    expect(connection.readyState).toBe(2);
    // The close frame (at most 127 bytes) may wait behind what the cap let through.
    expect(highest).toBeLessThanOrEqual(cap + 127);
    client.socket.resume();
    const [code, , error] = await closed;
    expect(code).toBe(1013);
    expect(error?.code).toBe('WSG_SEND_BUFFER_FULL');
    // Everything accepted before the cap arrives, then the close frame.
    expect(await client.waitForClose(10_000)).toBe(true);
    const frames = client.frames;
    expect(frames.at(-1)?.opcode).toBe(8);
    expect(client.closeFrame()?.code).toBe(1013);
    expect(client.closeFrame()?.reason.startsWith('WSG_SEND_BUFFER_FULL')).toBe(true);
    expect(frames.filter((f) => f.opcode === 2)).toHaveLength(sent - 1);
    expect(h.logs).toContainEqual(expect.objectContaining({ code: 'WSG_SEND_BUFFER_FULL' }));
  });

  it("'drop' emits drop and keeps the buffered bytes at the cap, and keeps the connection", async () => {
    const h = await harness({ maxBufferedBytes: cap, slowConsumerPolicy: 'drop' });
    const client = await raw(h.port);
    client.socket.pause();
    const connection = await h.connection();
    const dropped: number[] = [];
    connection.on('drop', (bytes) => dropped.push(bytes));
    let sent = 0;
    let highest = 0;
    while (sent < 800 && dropped.length < 50) {
      connection.send(numbered(sent, size));
      sent++;
      highest = Math.max(highest, connection.bufferedAmount);
      if (sent % 8 === 0) await delay(2);
    }
    expect(dropped.length).toBeGreaterThanOrEqual(50);
    expect(dropped.every((bytes) => bytes === size)).toBe(true);
    expect(highest).toBeLessThanOrEqual(cap);
    expect(connection.readyState).toBe(1);
    client.socket.resume();
    await waitFor(() => client.frames.length === sent - dropped.length, {
      timeoutMs: 10_000,
      what: 'every message that was not dropped',
    });
    const numbers = client.frames.map((frame) => frame.payload.readUInt32BE(0));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(client.frames.every((frame) => frame.payload.length === size)).toBe(true);
    expect(connection.send('after the jam')).toBe(true);
    await client.waitForFrames(sent - dropped.length + 1);
    expect(client.frames.at(-1)?.payload.toString()).toBe('after the jam');
  });

  it("'drop' counts each frame's header against the cap", async () => {
    // Two 1000-byte messages are two 1004-byte frames (RFC 6455 §5.2): 2008 bytes, over 2006.
    const h = await harness({ maxBufferedBytes: 2006, slowConsumerPolicy: 'drop' });
    const client = await raw(h.port);
    const connection = await h.connection();
    const dropped: number[] = [];
    connection.on('drop', (bytes) => dropped.push(bytes));
    // In one tick, nothing has left the process yet: both frames would wait together.
    connection.send(Buffer.alloc(1000, 1));
    connection.send(Buffer.alloc(1000, 2));
    expect(dropped).toEqual([1000]);
    expect(connection.bufferedAmount).toBeLessThanOrEqual(2006);
    const [frame] = await client.waitForFrames(1);
    expect(frame?.payload.equals(Buffer.alloc(1000, 1))).toBe(true);
  });

  it("'wait' keeps queueing past the cap and delivers everything", async () => {
    const h = await harness({ maxBufferedBytes: cap, slowConsumerPolicy: 'wait' });
    const client = await raw(h.port);
    client.socket.pause();
    const connection = await h.connection();
    let drops = 0;
    connection.on('drop', () => drops++);
    let sent = 0;
    while (sent < 800 && connection.bufferedAmount <= 2 * cap) {
      connection.send(numbered(sent, size));
      sent++;
      if (sent % 8 === 0) await delay(2);
    }
    expect(connection.bufferedAmount).toBeGreaterThan(2 * cap);
    expect(drops).toBe(0);
    expect(connection.readyState).toBe(1);
    client.socket.resume();
    await waitFor(() => client.frames.length === sent, {
      timeoutMs: 10_000,
      what: 'every message',
    });
    expect(client.frames.map((frame) => frame.payload.readUInt32BE(0))).toEqual(
      Array.from({ length: sent }, (_, i) => i),
    );
  });
});
