import {
  clientFrame,
  closePayload,
  delay,
  nextEvent,
  openRawWebSocket,
  openWs,
  type RawWebSocket,
  waitFor,
  withTimeout,
  wsClosed,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CLOSE_REASON_BYTES } from '../../src/errors/close-reason.js';
import type { ServerOptions, WebSocketConnection, WsgateError } from '../../src/index.js';
import { encodeClosePayload } from '../../src/protocol/close.js';
import { closeHarnesses, type Harness, startHarness } from './harness.js';

const raws: RawWebSocket[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  await closeHarnesses();
});

function harness(
  options: ServerOptions = {},
  onConnection?: (connection: WebSocketConnection) => void,
): Promise<Harness> {
  return startHarness(options, onConnection === undefined ? {} : { onConnection });
}

async function raw(port: number, after?: Buffer): Promise<RawWebSocket> {
  const socket = await openRawWebSocket(port, after === undefined ? {} : { after });
  raws.push(socket);
  return socket;
}

function closeEvent(
  connection: WebSocketConnection,
  timeoutMs = 5_000,
): Promise<[number, string, WsgateError | undefined]> {
  return nextEvent<[number, string, WsgateError | undefined]>(connection, 'close', timeoutMs);
}

function echo(connection: WebSocketConnection): void {
  connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
}

describe('backpressure', () => {
  it('returns false from send past the high-water mark and resolves drained() once the peer reads', async () => {
    const h = await harness();
    const client = await raw(h.port);
    // Count bytes instead of parsing frames: tens of MiB may pass.
    client.socket.removeAllListeners('data');
    let received = 0;
    client.socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    client.socket.pause();
    const connection = await h.connection();
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    // Fill the kernel's buffers until bytes stay queued in the process (bounded: 128 MiB).
    while (sent < 128) {
      connection.send(chunk);
      sent++;
      await delay(5);
      if (connection.bufferedAmount >= chunk.length) break;
    }
    expect(connection.bufferedAmount).toBeGreaterThanOrEqual(chunk.length);
    expect(connection.send(chunk)).toBe(false);
    sent++;
    let drained = false;
    const draining = connection.drained().then(() => {
      drained = true;
    });
    const drainEvent = nextEvent(connection, 'drain', 10_000);
    await delay(100);
    expect(drained).toBe(false);
    expect(connection.bufferedAmount).toBeGreaterThan(0);
    client.socket.resume();
    await withTimeout(draining, 10_000, 'drained()');
    await drainEvent;
    expect(connection.bufferedAmount).toBe(0);
    // Each 1 MiB message is one frame with a 10-byte header (RFC 6455 §5.2, 64-bit length).
    await waitFor(() => received === sent * (chunk.length + 10), {
      timeoutMs: 10_000,
      what: 'every byte to arrive',
    });
    expect(connection.send('small')).toBe(true);
  });

  it('resolves drained() at once when nothing is buffered', async () => {
    const h = await harness();
    await raw(h.port);
    const connection = await h.connection();
    expect(connection.bufferedAmount).toBe(0);
    await withTimeout(connection.drained(), 100, 'drained()');
  });
});

describe('heartbeat', () => {
  it('drops a client that never answers pings with WSG_HEARTBEAT_TIMEOUT, and keeps a ws client', async () => {
    const h = await harness({ heartbeatIntervalMs: 100 });
    const silent = await raw(h.port);
    const silentConnection = await h.connection(0);
    const healthy = await openWs(h.url);
    let pings = 0;
    healthy.on('ping', () => pings++);
    const healthyConnection = await h.connection(1);
    const [code, reason, error] = await closeEvent(silentConnection, 3_000);
    expect(code).toBe(1006);
    expect(reason).toBe('');
    expect(error?.code).toBe('WSG_HEARTBEAT_TIMEOUT');
    expect(silent.frames.some((frame) => frame.opcode === 9)).toBe(true);
    expect(await silent.waitForClose()).toBe(true);
    // Several intervals later, the client that answers pings is still there.
    await waitFor(() => pings >= 4, { what: 'four pings' });
    expect(healthyConnection.readyState).toBe(1);
    expect(healthy.readyState).toBe(healthy.OPEN);
    expect(h.server.clients.size).toBe(1);
    expect(h.logs).toContainEqual(expect.objectContaining({ code: 'WSG_HEARTBEAT_TIMEOUT' }));
    healthy.close();
  });
});

describe('closing', () => {
  it('destroys a client that never answers the close frame after closeTimeoutMs with WSG_CLOSE_TIMEOUT', async () => {
    const h = await harness({ closeTimeoutMs: 200 });
    const client = await raw(h.port);
    const connection = await h.connection();
    const closed = closeEvent(connection);
    const started = Date.now();
    connection.close(1000, 'bye');
    expect(connection.readyState).toBe(2);
    const [code, , error] = await closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(code).toBe(1006);
    expect(error?.code).toBe('WSG_CLOSE_TIMEOUT');
    expect(connection.readyState).toBe(3);
    expect(client.closeFrame()).toEqual({ code: 1000, reason: 'bye' });
    expect(await client.waitForClose()).toBe(true);
  });

  it('answers a client close frame with the same code and closes TCP first', async () => {
    const h = await harness();
    const client = await raw(h.port);
    const connection = await h.connection();
    const closed = closeEvent(connection);
    client.sendFrame(8, closePayload(4321, 'done here'));
    const [code, reason, error] = await closed;
    expect([code, reason, error]).toEqual([4321, 'done here', undefined]);
    await client.waitForFrames(1);
    expect(client.closeFrame()).toEqual({ code: 4321, reason: '' });
    // RFC 6455 §7.1.1: the server closes the TCP connection first.
    expect(await client.waitForClose()).toBe(true);
  });

  it('reports 1005 for a close frame without a code, and sends one for close(1005)', async () => {
    const h = await harness();
    const client = await raw(h.port);
    const connection = await h.connection();
    const closed = closeEvent(connection);
    client.sendFrame(8, '');
    expect((await closed)[0]).toBe(1005);
    const second = await raw(h.port);
    const secondConnection = await h.connection(1);
    secondConnection.close(1005);
    await second.waitForFrames(1);
    expect(second.frames[0]?.opcode).toBe(8);
    expect(second.frames[0]?.payload.length).toBe(0);
  });

  it('reports 1006 with WSG_CONNECTION_LOST when TCP closes without a close frame', async () => {
    const h = await harness();
    const client = await raw(h.port);
    const connection = await h.connection();
    const closed = closeEvent(connection);
    client.destroy();
    const [code, reason, error] = await closed;
    expect(code).toBe(1006);
    expect(reason).toBe('');
    expect(error?.code).toBe('WSG_CONNECTION_LOST');
  });

  it('refuses close codes that may not be sent', async () => {
    const h = await harness();
    await raw(h.port);
    const connection = await h.connection();
    expect(() => connection.close(1006)).toThrow(RangeError);
    expect(() => connection.close(999)).toThrow(RangeError);
    expect(() => connection.close(2999)).toThrow(RangeError);
    expect(connection.readyState).toBe(1);
  });

  it('refuses a close code or reason with the same words as the protocol layer, whatever its state', async () => {
    const h = await harness();
    await raw(h.port);
    const connection = await h.connection();
    const tooLong = 'x'.repeat(MAX_CLOSE_REASON_BYTES + 1);
    const protocolWords = (code: number, reason: string): string => {
      try {
        encodeClosePayload(code, reason);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error(`encodeClosePayload accepted ${code}`);
    };
    expect(() => connection.close(1004)).toThrow(protocolWords(1004, ''));
    expect(() => connection.close(1000, tooLong)).toThrow(protocolWords(1000, tooLong));
    connection.close(1000);
    // The arguments are wrong whether or not the connection is still open.
    expect(() => connection.close(1000, tooLong)).toThrow(protocolWords(1000, tooLong));
  });

  it('sends nothing after close and reports false from send, ping and pong', async () => {
    const h = await harness({ closeTimeoutMs: 300 });
    const client = await raw(h.port);
    const connection = await h.connection();
    connection.close(1000);
    expect(connection.send('late')).toBe(false);
    expect(connection.ping()).toBe(false);
    expect(connection.pong()).toBe(false);
    // The client never answers the close: the server ends TCP after closeTimeoutMs, and by then
    // has sent everything it ever will.
    expect(await client.waitForClose()).toBe(true);
    expect(client.frames.map((frame) => frame.opcode)).toEqual([8]);
  });

  it('terminate() ends TCP at once without a close frame', async () => {
    const h = await harness();
    const client = await raw(h.port);
    const connection = await h.connection();
    const closed = closeEvent(connection);
    connection.terminate();
    expect((await closed)[0]).toBe(1006);
    expect(await client.waitForClose()).toBe(true);
    expect(client.frames).toEqual([]);
  });
});

describe('application errors', () => {
  it('closes with 1011 WSG_INTERNAL_ERROR when a message listener throws, and keeps serving', async () => {
    const h = await harness({}, (connection) => {
      connection.on('message', (data) => {
        if (String(data) === 'boom') throw new Error('listener bug with a secret');
        connection.send(data);
      });
    });
    const victim = await openWs(h.url);
    const closed = wsClosed(victim);
    victim.send('boom');
    const { code, reason } = await closed;
    expect(code).toBe(1011);
    expect(reason.startsWith('WSG_INTERNAL_ERROR')).toBe(true);
    expect(reason).not.toContain('secret');
    expect(h.logs).toContainEqual(
      expect.objectContaining({
        event: 'wsgate.connection.handler_failed',
        code: 'WSG_INTERNAL_ERROR',
      }),
    );
    const next = await openWs(h.url);
    const answer = wsNextMessage(next);
    next.send('still here');
    expect((await answer).data.toString()).toBe('still here');
    next.close();
  });

  it('emits the thrown error on the connection when an error listener is set', async () => {
    const errors: Error[] = [];
    const h = await harness({}, (connection) => {
      connection.on('error', (error) => errors.push(error));
      connection.on('message', () => {
        throw new TypeError('handler failed');
      });
    });
    const socket = await openWs(h.url);
    const closed = wsClosed(socket);
    socket.send('x');
    expect((await closed).code).toBe(1011);
    expect(errors.map((e) => e.message)).toEqual(['handler failed']);
  });
});

describe('listeners that throw outside a message', () => {
  const crashes: unknown[] = [];
  const onCrash = (error: unknown): void => {
    crashes.push(error);
  };

  afterEach(() => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  });

  it('closes with 1011 when a connection listener throws, without an unhandled rejection', async () => {
    crashes.length = 0;
    process.on('unhandledRejection', onCrash);
    let first = true;
    const h = await harness({}, (connection) => {
      if (first) {
        first = false;
        throw new Error('connection listener bug');
      }
      echo(connection);
    });
    const victim = await openWs(h.url);
    const { code, reason } = await wsClosed(victim);
    expect(code).toBe(1011);
    expect(reason.startsWith('WSG_INTERNAL_ERROR')).toBe(true);
    expect(h.logs).toContainEqual(
      expect.objectContaining({ event: 'wsgate.connection.handler_failed' }),
    );
    await waitFor(() => h.server.clients.size === 0, { what: 'the failed connection to go' });
    const next = await openWs(h.url);
    const answer = wsNextMessage(next);
    next.send('served');
    expect((await answer).data.toString()).toBe('served');
    next.close();
    expect(crashes).toEqual([]);
  });

  it('closes with 1011 when a drain listener throws, instead of an uncaught exception', async () => {
    crashes.length = 0;
    process.on('uncaughtException', onCrash);
    const h = await harness({}, (connection) => {
      connection.on('drain', () => {
        throw new Error('drain listener bug');
      });
    });
    const client = await raw(h.port);
    const connection = await h.connection();
    const closed = closeEvent(connection);
    // Past the high-water mark, the socket emits drain once the bytes are out.
    // More than the kernel takes at once, so bytes stay queued in the socket.
    expect(connection.send(Buffer.alloc(16 * 1024 * 1024))).toBe(false);
    await client.waitForFrames(2);
    expect(client.closeFrame()?.code).toBe(1011);
    const [code, , error] = await closed;
    expect(code).toBe(1011);
    expect(error?.code).toBe('WSG_INTERNAL_ERROR');
    expect(crashes).toEqual([]);
  });
});

describe('protocol violations from a raw client', () => {
  it('closes with 1002 WSG_FRAME_UNMASKED on an unmasked frame, then closes TCP', async () => {
    const h = await harness();
    const client = await raw(h.port);
    const connection = await h.connection();
    const closed = closeEvent(connection);
    client.sendFrame(1, 'not masked', { mask: false });
    await client.waitForFrames(1);
    const frame = client.closeFrame();
    expect(frame?.code).toBe(1002);
    expect(frame?.reason.startsWith('WSG_FRAME_UNMASKED')).toBe(true);
    expect(await client.waitForClose()).toBe(true);
    const [code, , error] = await closed;
    expect(code).toBe(1002);
    expect(error?.code).toBe('WSG_FRAME_UNMASKED');
  });

  it('closes with 1007 WSG_TEXT_INVALID_UTF8 on a text message that is not UTF-8', async () => {
    const h = await harness();
    const client = await raw(h.port);
    client.sendFrame(1, Buffer.from([0x68, 0xc3, 0x28]));
    await client.waitForFrames(1);
    expect(client.closeFrame()?.code).toBe(1007);
    expect(client.closeFrame()?.reason.startsWith('WSG_TEXT_INVALID_UTF8')).toBe(true);
  });

  it('closes with 1002 on a reserved opcode', async () => {
    const h = await harness();
    const client = await raw(h.port);
    client.sendFrame(3, 'reserved');
    await client.waitForFrames(1);
    expect(client.closeFrame()?.code).toBe(1002);
    expect(client.closeFrame()?.reason.startsWith('WSG_FRAME_OPCODE_UNKNOWN')).toBe(true);
  });
});

describe('pings, pongs and fragments', () => {
  it('answers a ping with a pong carrying the same payload and emits ping', async () => {
    const h = await harness();
    const client = await raw(h.port);
    const connection = await h.connection();
    const ping = nextEvent<[Buffer]>(connection, 'ping');
    client.sendFrame(9, 'are you there');
    expect((await ping)[0].toString()).toBe('are you there');
    const [pong] = await client.waitForFrames(1);
    expect(pong?.opcode).toBe(10);
    expect(pong?.payload.toString()).toBe('are you there');
  });

  it('sends pings and emits the pongs that come back', async () => {
    const h = await harness();
    const client = await raw(h.port);
    const connection = await h.connection();
    expect(connection.ping('probe')).toBe(true);
    const [ping] = await client.waitForFrames(1);
    expect([ping?.opcode, ping?.payload.toString()]).toEqual([9, 'probe']);
    const pong = nextEvent<[Buffer]>(connection, 'pong');
    client.sendFrame(10, 'probe');
    expect((await pong)[0].toString()).toBe('probe');
    expect(() => connection.ping(Buffer.alloc(126))).toThrow(RangeError);
  });

  it('reassembles a fragmented message with a ping between the fragments', async () => {
    const h = await harness({}, echo);
    const client = await raw(h.port);
    client.sendRaw(
      Buffer.concat([
        clientFrame(1, 'frag', { fin: false }),
        clientFrame(9, 'mid'),
        clientFrame(0, 'men', { fin: false }),
        clientFrame(0, 'ted ✓'),
      ]),
    );
    const frames = await client.waitForFrames(2);
    expect(frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [10, 'mid'],
      [1, 'fragmented ✓'],
    ]);
  });
});
