import { createHook } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  openRawWebSocket,
  openWs,
  type RawWebSocket,
  seededRandom,
  waitFor,
  wordyText,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import type { WebSocketConnection } from '../../src/index.js';
import { ZlibMessageCodec } from '../../src/node/zlib-codec.js';
import {
  MAX_CONCURRENT_ZLIB_JOBS,
  resetZlibJobPeak,
  zlibJobCounts,
} from '../../src/node/zlib-jobs.js';
import { compressionJobs } from '../../src/observability/traffic-totals.js';
import { closeHarnesses, startHarness } from './harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const random = seededRandom(17);

const raws: RawWebSocket[] = [];
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  for (const client of clients.splice(0)) client.terminate();
  vi.restoreAllMocks();
  await closeHarnesses();
});

async function deflateClient(url: string): Promise<WebSocket> {
  const client = await openWs(url, { perMessageDeflate: true, maxPayload: 64 * MiB });
  clients.push(client);
  return client;
}

async function rawDeflate(port: number, offer: string): Promise<RawWebSocket> {
  const raw = await openRawWebSocket(port, { headers: { 'Sec-WebSocket-Extensions': offer } });
  raws.push(raw);
  return raw;
}

function text(bytes: number): string {
  return wordyText(random, bytes);
}

function received(client: WebSocket): string[] {
  const messages: string[] = [];
  client.on('message', (data) => messages.push(String(data)));
  return messages;
}

describe('compression does not hold the event loop', () => {
  it("answers a bystander's pings while another connection's 15 MiB compressed message is inflated and deflated", async () => {
    type Phase = 'inflating' | 'deflating' | 'done';
    let phase: Phase = 'inflating';
    const h = await startHarness(
      { perMessageDeflate: true, maxMessageBytes: 16 * MiB },
      { record: false },
    );
    const big = await deflateClient(h.url);
    const bigConnection = await h.connection(0);
    const bystander = await deflateClient(h.url);
    bigConnection.on('message', (data, isBinary) => {
      phase = 'deflating';
      bigConnection.send(data, { binary: isBinary });
    });
    const message = text(15 * MiB);
    const echoed = new Promise<string>((resolve) =>
      big.once('message', (data) => {
        phase = 'done';
        resolve(String(data));
      }),
    );
    // The bystander pings again as soon as each pong comes, noting what the server was doing.
    const pongs: Array<{ phase: Phase; zlibJobsRunning: number }> = [];
    bystander.on('pong', () => {
      pongs.push({ phase, zlibJobsRunning: zlibJobCounts().running });
      if (phase !== 'done' && pongs.length < 1_000_000) bystander.ping();
    });
    big.send(message);
    bystander.ping();
    expect(await echoed).toBe(message);
    // Pongs came while a job of the big message was running, on the way in and on the way out.
    expect(pongs.some((p) => p.phase === 'inflating' && p.zlibJobsRunning > 0)).toBe(true);
    expect(pongs.some((p) => p.phase === 'deflating' && p.zlibJobsRunning > 0)).toBe(true);
  });
});

describe('order of each connection', () => {
  const sizes = [300 * KiB, 100, 20 * KiB, 2 * KiB, 1 * MiB, 10, 64 * KiB, 3 * KiB];

  it('sends mixed compressed (on and off the loop) and uncompressed messages in order, close last, context taken over', async () => {
    const h = await startHarness({ perMessageDeflate: true });
    const client = await deflateClient(h.url);
    const connection = await h.connection();
    const messages = received(client);
    const closed = new Promise<number>((resolve) => client.once('close', resolve));
    const sent = sizes.map((size) => text(size));
    for (const message of sent) connection.send(message);
    connection.ping('between');
    for (const message of sent) connection.send(message);
    connection.close(1000, 'bye');
    expect(await closed).toBe(1000);
    expect(messages).toEqual([...sent, ...sent]);
  });

  it('delivers mixed messages from a client in order, each inflated one after the other', async () => {
    const order: string[] = [];
    const h = await startHarness(
      { perMessageDeflate: true },
      { onConnection: (c) => c.on('message', (data) => order.push(String(data))) },
    );
    const client = await deflateClient(h.url);
    const sent = sizes.map((size) => text(size));
    for (const message of [...sent, ...sent]) client.send(message);
    await waitFor(() => order.length === sent.length * 2, { timeoutMs: 20_000 });
    expect(order).toEqual([...sent, ...sent]);
  });
});

describe('bounds', () => {
  it('cuts a bomb inflated off the loop at the limit with 1009, and accepts a message of exactly the limit', async () => {
    const limit = 256 * KiB;
    const h = await startHarness({ perMessageDeflate: true, maxMessageBytes: limit });
    const exact = Buffer.from(text(limit));
    const compress = (data: Buffer) =>
      deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    // Both too long to inflate on the loop (see SYNC_INFLATE_MAX_INPUT_BYTES).
    expect(compress(exact).length).toBeGreaterThan(16 * KiB);
    const raw = await rawDeflate(h.port, 'permessage-deflate; client_no_context_takeover');
    raw.sendFrame(1, compress(exact), { rsv1: true });
    await waitFor(() => h.messages.length === 1);
    expect(String(h.messages[0]?.data)).toBe(exact.toString());

    const bomb = Buffer.concat([exact, Buffer.alloc(40 * MiB)]);
    const compressed = compress(bomb);
    expect(compressed.length).toBeGreaterThan(16 * KiB);
    const before = process.memoryUsage();
    raw.sendFrame(2, compressed, { rsv1: true });
    await raw.waitForFrames(1, 10_000);
    expect(raw.closeFrame()?.code).toBe(1009);
    expect(raw.closeFrame()?.reason.startsWith('WSG_MESSAGE_TOO_BIG')).toBe(true);
    const after = process.memoryUsage();
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(20 * MiB);
    expect(h.messages).toHaveLength(1);
  });

  it('runs at most MAX_CONCURRENT_ZLIB_JOBS zlib jobs at once and counts those waiting', async () => {
    const count = MAX_CONCURRENT_ZLIB_JOBS + 3;
    const h = await startHarness({ perMessageDeflate: true }, { record: false });
    const peers = await Promise.all(Array.from({ length: count }, () => deflateClient(h.url)));
    await h.connection(count - 1);
    const messages = peers.map(() => text(2 * MiB));
    const echoes = peers.map(
      (peer) => new Promise<string>((resolve) => peer.once('message', (d) => resolve(String(d)))),
    );
    resetZlibJobPeak();
    let waitingWhenQueued = -1;
    // All the messages of the connections are echoed at once: more jobs than the bound.
    h.connections.forEach((connection, i) => {
      connection.send(messages[i] as string);
    });
    waitingWhenQueued = compressionJobs.pending;
    expect(waitingWhenQueued).toBe(count - MAX_CONCURRENT_ZLIB_JOBS);
    expect(await Promise.all(echoes)).toEqual(messages);
    expect(zlibJobCounts().peakRunning).toBe(MAX_CONCURRENT_ZLIB_JOBS);
    expect(compressionJobs.pending).toBe(0);
  });

  it('keeps no zlib stream between messages: every zlib handle of the server is collectable once its message is done', async () => {
    // A zlib handle's destroy hook runs when it is garbage collected.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const live = new Set<number>();
    let opened = 0;
    const hook = createHook({
      init(id, type) {
        if (type === 'ZLIB') {
          live.add(id);
          opened++;
        }
      },
      destroy(id) {
        live.delete(id);
      },
    }).enable();
    try {
      const h = await startHarness({ perMessageDeflate: true }, { echo: true, record: false });
      const client = await deflateClient(h.url);
      const messages = received(client);
      const sent = [text(MiB), text(200 * KiB), text(MiB)];
      for (const message of sent) client.send(message);
      await waitFor(() => messages.length === sent.length, { timeoutMs: 20_000 });
      expect(messages).toEqual(sent);
      // The ws client keeps its own two streams (context takeover); nothing holds the server's.
      const clientStreams = 2;
      await waitFor(
        () => {
          gc();
          return live.size <= clientStreams;
        },
        { timeoutMs: 5_000, intervalMs: 50 },
      );
      expect(opened).toBeGreaterThanOrEqual(sent.length * 2);
    } finally {
      hook.disable();
    }
  });
});

describe('the sliding window', () => {
  it("stays the peer's window through compactions: messages of every size, inflated by an independent zlib stream", () => {
    const codec = new ZlibMessageCodec({
      compressWindowBits: 9,
      compressNoContextTakeover: false,
      decompressWindowBits: 9,
      decompressNoContextTakeover: false,
    });
    const messages = Array.from({ length: 300 }, (_, i) => Buffer.from(text(1 + ((i * 37) % 700))));
    // The peer: one raw inflate stream over everything, as a context-takeover client keeps.
    const stream = inflateRawSync(
      Buffer.concat(messages.flatMap((message) => [codec.compress(message), TAIL])),
      { windowBits: 9, finishFlush: constants.Z_SYNC_FLUSH },
    );
    expect(stream.equals(Buffer.concat(messages))).toBe(true);
  });
});

describe('topics with compression', () => {
  async function topicServer() {
    const h = await startHarness({ perMessageDeflate: true });
    return h;
  }

  async function subscriber(
    h: Awaited<ReturnType<typeof topicServer>>,
    offer: string,
  ): Promise<{ raw: RawWebSocket; connection: WebSocketConnection }> {
    const index = h.connections.length;
    const raw = await rawDeflate(h.port, offer);
    const connection = await h.connection(index);
    await connection.subscribe('news');
    return { raw, connection };
  }

  it('compresses a topic message once for all subscribers, with or without server context takeover', async () => {
    const h = await topicServer();
    const offers = [
      'permessage-deflate; server_no_context_takeover',
      'permessage-deflate; server_no_context_takeover',
      'permessage-deflate',
      'permessage-deflate',
      'permessage-deflate; client_max_window_bits',
    ];
    const subscribers = [];
    for (const offer of offers) subscribers.push(await subscriber(h, offer));
    const shared = vi.spyOn(ZlibMessageCodec.prototype, 'compressShared');
    const perConnection = vi.spyOn(ZlibMessageCodec.prototype, 'compressOrDefer');
    // A message of each connection's own, the topic's, then another of its own: compressed
    // with its context (when it has one), which must hold the topic's messages by then.
    const own = [text(6 * KiB), text(6 * KiB)];
    for (const { connection } of subscribers) connection.send(own[0] as string);
    for (const { raw } of subscribers) await raw.waitForFrames(1, 10_000);
    const messages = [text(4 * KiB), text(300 * KiB), text(8 * KiB)];
    for (const message of messages) await h.server.publish('news', message);
    for (const { raw } of subscribers) await raw.waitForFrames(1 + messages.length, 10_000);
    for (const { connection } of subscribers) connection.send(own[1] as string);
    const all = [own[0], ...messages, own[1]];
    for (const { raw } of subscribers) {
      const frames = await raw.waitForFrames(all.length, 10_000);
      expect(frames[1]?.rsv1).toBe(true);
      expect(frames[4]?.rsv1).toBe(true);
      // Inflated in order as one stream, as the peer does.
      const stream = inflateRawSync(
        Buffer.concat(frames.filter((f) => f.rsv1).flatMap((f) => [f.payload, TAIL])),
        { finishFlush: constants.Z_SYNC_FLUSH },
      ).toString();
      expect(stream).toBe(frames.map((frame, i) => (frame.rsv1 ? all[i] : '')).join(''));
      for (const frame of frames) if (!frame.rsv1) expect(all).toContain(frame.payload.toString());
    }
    expect(shared).toHaveBeenCalledTimes(messages.length);
    expect(perConnection).toHaveBeenCalledTimes(subscribers.length * 2);
  });
});
