import {
  openRawWebSocket,
  openWs,
  type RawWebSocket,
  waitFor,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createServer,
  type LogEvent,
  type WebSocketConnection,
  type WebSocketServer,
} from '../../src/index.js';

const servers: WebSocketServer[] = [];
const raws: RawWebSocket[] = [];
afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  for (const server of servers.splice(0)) await server.close({ timeoutMs: 200 });
});

const MiB = 1024 * 1024;

describe("maxBufferedBytesTotal: the bytes queued for all of a server's peers that do not read", () => {
  it('closes the peers holding most with 1013 WSG_SEND_BUFFER_FULL, and keeps serving readers', async () => {
    const budget = 8 * MiB;
    const logs: LogEvent[] = [];
    const server = await createServer({
      port: 0,
      perMessageDeflate: false,
      heartbeatIntervalMs: 0,
      // Far above the budget: only the budget can close these peers.
      maxBufferedBytes: 256 * MiB,
      maxBufferedBytesTotal: budget,
      onLog: (event) => logs.push(event),
    });
    servers.push(server);
    const connections: WebSocketConnection[] = [];
    const closes = new Map<WebSocketConnection, number>();
    server.on('connection', (connection) => {
      connections.push(connection);
      connection.on('message', (data) => connection.send(data));
      connection.on('close', (code) => closes.set(connection, code));
    });
    const port = server.address()?.port ?? 0;

    // Three clients that never read (their sockets paused), then one that does.
    for (let i = 0; i < 3; i++) {
      const raw = await openRawWebSocket(port, { path: '/' });
      raws.push(raw);
      raw.socket.pause();
    }
    await waitFor(() => connections.length === 3, { what: 'three connections' });
    const [heavy, middle, light] = connections as [
      WebSocketConnection,
      WebSocketConnection,
      WebSocketConnection,
    ];
    const reader = await openWs(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });

    const message = Buffer.alloc(256 * 1024, 7);
    const open = (connection: WebSocketConnection) =>
      !closes.has(connection) && connection.readyState === 1;
    let peakQueued = 0;
    // Bounded: 160 rounds would queue 120 MiB without a budget.
    for (let round = 0; round < 160 && open(heavy); round++) {
      // Three messages for `heavy`, two for `middle`, one for `light` per round.
      for (const [connection, count] of [
        [heavy, 3],
        [middle, 2],
        [light, 1],
      ] as const) {
        for (let i = 0; i < count; i++) if (open(connection)) connection.send(message);
      }
      await new Promise((resolve) => setImmediate(resolve));
      const queued = [heavy, middle, light]
        .filter(open)
        .reduce((sum, connection) => sum + connection.bufferedAmount, 0);
      peakQueued = Math.max(peakQueued, queued);
    }

    await waitFor(() => closes.has(heavy), { what: 'the heaviest peer closed' });
    expect(closes.get(heavy)).toBe(1013);
    // The largest goes first: the lightest peer, far under the budget, stays.
    expect(open(light)).toBe(true);
    // At no point after a round did more than the budget and one round's sends wait.
    expect(peakQueued).toBeLessThanOrEqual(budget + 6 * message.length);
    expect(logs).toContainEqual(
      expect.objectContaining({
        code: 'WSG_SEND_BUFFER_FULL',
        detail: expect.stringContaining('maxBufferedBytesTotal'),
      }),
    );

    const echoed = wsNextMessage(reader);
    reader.send('still served');
    expect((await echoed).data.toString()).toBe('still served');
    reader.terminate();
  });
});
