import { Transform } from 'node:stream';
import {
  constants,
  createDeflateRaw,
  deflateRawSync,
  inflateRawSync,
  type ZlibOptions,
} from 'node:zlib';
import {
  clientFrame,
  nextEvent,
  openRawWebSocket,
  type RawWebSocket,
  type ReceivedFrame,
  seededRandom,
  waitFor,
  wordyText,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { ZlibMessageCodec } from '../../src/adapter/index.js';
import type { ServerOptions, WebSocketConnection, WsgateError } from '../../src/index.js';
import { closeHarnesses, type Harness, startHarness } from './harness.js';

const MiB = 1024 * 1024;
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

const raws: RawWebSocket[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  await closeHarnesses();
});

/** Compression on, as a server has it by default. */
function harness(options: ServerOptions = {}): Promise<Harness> {
  return startHarness({ perMessageDeflate: true, ...options });
}

async function rawDeflate(port: number, offer = 'permessage-deflate'): Promise<RawWebSocket> {
  const raw = await openRawWebSocket(port, { headers: { 'Sec-WebSocket-Extensions': offer } });
  raws.push(raw);
  return raw;
}

/**
 * A client-side compressor independent of wsgate's: one zlib stream for the whole connection
 * (context takeover), a sync flush after each message, the 00 00 ff ff tail removed
 * (RFC 7692 §7.2.1).
 */
function streamingCompressor(options: ZlibOptions = {}): (message: Buffer) => Promise<Buffer> {
  const deflate = createDeflateRaw(options);
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  return (message) =>
    new Promise((resolve) => {
      deflate.write(message);
      deflate.flush(constants.Z_SYNC_FLUSH, () => {
        const output = Buffer.concat(chunks.splice(0));
        expect(output.subarray(-4).equals(TAIL)).toBe(true);
        resolve(output.subarray(0, -4));
      });
    });
}

/**
 * Inflates the compressed messages a server sent, in order, as one DEFLATE stream: with context
 * takeover each message may refer back into the previous ones, so they only decode together.
 */
function inflateAll(frames: ReceivedFrame[], options: ZlibOptions = {}): Buffer {
  const stream = Buffer.concat(frames.flatMap((frame) => [frame.payload, TAIL]));
  return inflateRawSync(stream, { finishFlush: constants.Z_SYNC_FLUSH, ...options });
}

function closeEvent(connection: WebSocketConnection) {
  return nextEvent<[number, string, WsgateError | undefined]>(connection, 'close');
}

const random = seededRandom(7692);
const phrase = Buffer.from(wordyText(random, 3_000));

describe('permessage-deflate negotiation', () => {
  it.each([
    ['permessage-deflate', 'permessage-deflate'],
    ['permessage-deflate; client_max_window_bits', 'permessage-deflate'],
    [
      'permessage-deflate; server_max_window_bits=10',
      'permessage-deflate; server_max_window_bits=10',
    ],
    [
      'permessage-deflate; client_no_context_takeover; server_no_context_takeover',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    ],
    ['x-unknown-extension, permessage-deflate', 'permessage-deflate'],
    ['permessage-deflate; bogus_param, permessage-deflate', 'permessage-deflate'],
    ['permessage-deflate; server_max_window_bits=16', undefined],
    ['permessage-deflate; server_max_window_bits=08', undefined],
    // RFC 7692 §7.1: an offer with a repeated, unknown or invalid parameter is declined.
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', undefined],
    ['permessage-deflate; client_max_window_bits=10; client_max_window_bits=10', undefined],
    ['permessage-deflate; server_no_context_takeover=1', undefined],
    ['permessage-deflate; client_no_context_takeover="yes"', undefined],
    ['permessage-deflate; server_max_window_bits', undefined],
    ['permessage-deflate; client_max_window_bits=7', undefined],
    ['x-webkit-deflate-frame', undefined],
    // The four parameters, with and without values.
    [
      'permessage-deflate; server_max_window_bits=8',
      'permessage-deflate; server_max_window_bits=8',
    ],
    [
      'permessage-deflate; server_max_window_bits="9"',
      'permessage-deflate; server_max_window_bits=9',
    ],
    [
      'permessage-deflate; client_max_window_bits=12',
      'permessage-deflate; client_max_window_bits=12',
    ],
    [
      'permessage-deflate; client_no_context_takeover',
      'permessage-deflate; client_no_context_takeover',
    ],
    [
      'permessage-deflate; server_no_context_takeover',
      'permessage-deflate; server_no_context_takeover',
    ],
    // Several offers: the first acceptable one, in the client's order of preference.
    [
      'permessage-deflate; server_max_window_bits=9; client_max_window_bits=9, permessage-deflate',
      'permessage-deflate; server_max_window_bits=9; client_max_window_bits=9',
    ],
    [
      'permessage-deflate; server_max_window_bits=7, permessage-deflate; server_no_context_takeover',
      'permessage-deflate; server_no_context_takeover',
    ],
    // Autobahn's 12.x and 13.x offers, word for word. Declining one is UNIMPLEMENTED there, and
    // a window of 8 bits may only be answered with 8 (RFC 7692 §7.1.2.1), never with zlib's 9.
    [
      'permessage-deflate; client_no_context_takeover; client_max_window_bits',
      'permessage-deflate; client_no_context_takeover',
    ],
    [
      'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    ],
    [
      'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=8',
      'permessage-deflate; client_no_context_takeover; server_max_window_bits=8',
    ],
    [
      'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=15',
      'permessage-deflate; client_no_context_takeover; server_max_window_bits=15',
    ],
    [
      'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=8, permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover, permessage-deflate; client_no_context_takeover; client_max_window_bits',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8',
    ],
  ])('answers the offer %s with %s', async (offer, answer) => {
    const h = await harness();
    const raw = await rawDeflate(h.port, offer);
    expect(raw.response.status).toBe(101);
    expect(raw.response.headers['sec-websocket-extensions']).toBe(answer);
  });

  it.each([
    [
      { serverMaxWindowBits: 10 },
      'permessage-deflate',
      'permessage-deflate; server_max_window_bits=10',
    ],
    [
      { serverMaxWindowBits: 10 },
      'permessage-deflate; server_max_window_bits=12',
      'permessage-deflate; server_max_window_bits=10',
    ],
    [
      { serverNoContextTakeover: true },
      'permessage-deflate',
      'permessage-deflate; server_no_context_takeover',
    ],
    [
      { clientNoContextTakeover: true },
      'permessage-deflate',
      'permessage-deflate; client_no_context_takeover',
    ],
    // The client's window can only be limited when its offer allows it (RFC 7692 §7.1.2.2).
    [{ clientMaxWindowBits: 10 }, 'permessage-deflate', 'permessage-deflate'],
  ] as const)('with the options %o answers %s with %s', async (options, offer, answer) => {
    const h = await harness({ perMessageDeflate: options });
    const raw = await rawDeflate(h.port, offer);
    expect(raw.response.headers['sec-websocket-extensions']).toBe(answer);
  });

  it('limits the client window when configured and the client allows it', async () => {
    const h = await harness({ perMessageDeflate: { clientMaxWindowBits: 10 } });
    const raw = await rawDeflate(h.port, 'permessage-deflate; client_max_window_bits');
    expect(raw.response.headers['sec-websocket-extensions']).toBe(
      'permessage-deflate; client_max_window_bits=10',
    );
  });
});

describe('messages the server compresses', () => {
  it('sets RSV1 at the threshold and not below it', async () => {
    const h = await harness();
    const raw = await rawDeflate(h.port);
    const connection = await h.connection();
    connection.send('a'.repeat(1023));
    connection.send(Buffer.alloc(1024, 0x62));
    const frames = await raw.waitForFrames(2);
    expect(frames.map((f) => [f.opcode, f.rsv1])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(frames[0]?.payload.toString()).toBe('a'.repeat(1023));
    expect(inflateAll([frames[1] as ReceivedFrame]).equals(Buffer.alloc(1024, 0x62))).toBe(true);
  });

  it('uses context takeover: a repeated message costs a fraction of the first', async () => {
    const h = await harness();
    const raw = await rawDeflate(h.port);
    const connection = await h.connection();
    for (let i = 0; i < 3; i++) connection.send(phrase.toString());
    const frames = await raw.waitForFrames(3);
    expect(inflateAll(frames).toString()).toBe(phrase.toString().repeat(3));
    const [first, second] = frames.map((f) => f.payload.length) as [number, number];
    expect(second).toBeLessThan(first / 10);
  });

  it('compresses each message on its own with server_no_context_takeover', async () => {
    const h = await harness();
    const raw = await rawDeflate(h.port, 'permessage-deflate; server_no_context_takeover');
    const connection = await h.connection();
    for (let i = 0; i < 3; i++) connection.send(phrase.toString());
    const frames = await raw.waitForFrames(3);
    for (const frame of frames) expect(inflateAll([frame]).toString()).toBe(phrase.toString());
    expect(new Set(frames.map((f) => f.payload.length)).size).toBe(1);
  });

  it.each([8, 9, 10, 12, 15])(
    'never refers further back than a window of %i bits',
    async (bits) => {
      const h = await harness();
      const raw = await rawDeflate(h.port, `permessage-deflate; server_max_window_bits=${bits}`);
      const connection = await h.connection();
      const text = Buffer.from(wordyText(random, 40_000));
      for (let i = 0; i < 4; i++)
        connection.send(text.subarray(i * 10_000, (i + 1) * 10_000 + 500));
      const frames = await raw.waitForFrames(4);
      expect(frames.every((f) => f.rsv1)).toBe(true);
      // An inflater with exactly that window fails on any longer distance.
      const inflated = inflateAll(frames, { windowBits: bits });
      const expected = Buffer.concat(
        [0, 1, 2, 3].map((i) => text.subarray(i * 10_000, (i + 1) * 10_000 + 500)),
      );
      expect(inflated.equals(expected)).toBe(true);
    },
  );
});

describe('compression options', () => {
  it.each([[{ level: 1, memLevel: 1 }], [{ level: 9, memLevel: 9 }], [{ level: 0 }]])(
    'compresses a first message exactly as zlib does with %o',
    async (options) => {
      const h = await harness({ perMessageDeflate: options });
      const raw = await rawDeflate(h.port);
      const connection = await h.connection();
      connection.send(phrase);
      const [frame] = await raw.waitForFrames(1);
      expect(frame?.rsv1).toBe(true);
      // RFC 7692 §7.2.1: the sync flush's 00 00 ff ff is not sent.
      const expected = deflateRawSync(phrase, {
        ...options,
        finishFlush: constants.Z_SYNC_FLUSH,
      }).subarray(0, -4);
      expect(frame?.payload.equals(expected)).toBe(true);
      expect(frame?.payload.subarray(-4).equals(TAIL)).toBe(false);
      expect(inflateAll([frame as ReceivedFrame]).equals(phrase)).toBe(true);
    },
  );

  it('applies thresholdBytes: smaller messages go uncompressed', async () => {
    const h = await harness({ perMessageDeflate: { thresholdBytes: 10 } });
    const raw = await rawDeflate(h.port);
    const connection = await h.connection();
    connection.send('123456789');
    connection.send('1234567890');
    connection.ping('never compressed, whatever its size');
    const frames = await raw.waitForFrames(3);
    expect(frames.map((f) => [f.opcode, f.rsv1])).toEqual([
      [1, false],
      [1, true],
      [9, false],
    ]);
  });
});

describe('messages a client compresses', () => {
  it('inflates messages with context takeover across messages', async () => {
    const h = await harness();
    const raw = await rawDeflate(h.port);
    const compress = streamingCompressor();
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const compressed = await compress(phrase);
      sizes.push(compressed.length);
      raw.sendFrame(1, compressed, { rsv1: true });
    }
    await waitFor(() => h.messages.length === 3);
    expect(h.messages.map((m) => m.data)).toEqual(Array(3).fill(phrase.toString()));
    expect(sizes[1]).toBeLessThan((sizes[0] as number) / 10);
  });

  it('inflates a compressed message sent in fragments, with only the first frame flagged', async () => {
    const h = await harness();
    const raw = await rawDeflate(h.port);
    const compressed = await streamingCompressor()(phrase);
    const third = Math.floor(compressed.length / 3);
    raw.sendRaw(
      Buffer.concat([
        clientFrame(2, compressed.subarray(0, third), { fin: false, rsv1: true }),
        clientFrame(9, 'between'),
        clientFrame(0, compressed.subarray(third, 2 * third), { fin: false }),
        clientFrame(0, compressed.subarray(2 * third)),
      ]),
    );
    await waitFor(() => h.messages.length === 1);
    expect(h.messages[0]?.isBinary).toBe(true);
    expect(h.messages[0]?.data).toEqual(phrase);
  });

  it('inflates an empty compressed message', async () => {
    const h = await harness();
    const raw = await rawDeflate(h.port);
    raw.sendFrame(1, await streamingCompressor()(Buffer.alloc(0)), { rsv1: true });
    raw.sendFrame(1, Buffer.from([0x00]), { rsv1: true });
    await waitFor(() => h.messages.length === 2);
    expect(h.messages.map((m) => m.data)).toEqual(['', '']);
  });

  it('inflates without a dictionary when client_no_context_takeover was agreed', async () => {
    const h = await harness();
    const raw = await rawDeflate(h.port, 'permessage-deflate; client_no_context_takeover');
    for (let i = 0; i < 3; i++) {
      raw.sendFrame(
        1,
        deflateRawSync(phrase, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4),
        {
          rsv1: true,
        },
      );
    }
    await waitFor(() => h.messages.length === 3);
    expect(h.messages.map((m) => m.data)).toEqual(Array(3).fill(phrase.toString()));
  });
});

describe('hostile compressed data', () => {
  it('closes with 1009 on a decompression bomb without inflating it whole', async () => {
    const inflatedSize = 10 * MiB;
    const bomb = deflateRawSync(Buffer.alloc(inflatedSize), {
      finishFlush: constants.Z_SYNC_FLUSH,
      level: 9,
    }).subarray(0, -4);
    expect(bomb.length).toBeLessThan(64 * 1024);
    let atFailure: NodeJS.MemoryUsage | undefined;
    const h = await harness({
      maxMessageBytes: MiB,
      onLog: (event) => {
        // Sampled synchronously when the limit trips: a fully inflated bomb would still be live.
        if (event.code === 'WSG_MESSAGE_TOO_BIG') atFailure ??= process.memoryUsage();
      },
    });
    const raw = await rawDeflate(h.port);
    const connection = await h.connection();
    const closed = closeEvent(connection);
    const before = process.memoryUsage();
    raw.sendFrame(2, bomb, { rsv1: true });
    await raw.waitForFrames(1);
    expect(raw.closeFrame()?.code).toBe(1009);
    expect(raw.closeFrame()?.reason.startsWith('WSG_MESSAGE_TOO_BIG')).toBe(true);
    const [code, , error] = await closed;
    expect(code).toBe(1009);
    expect(error?.code).toBe('WSG_MESSAGE_TOO_BIG');
    expect(h.messages).toEqual([]);
    expect(atFailure).toBeDefined();
    const grown =
      (atFailure?.heapUsed ?? 0) +
      (atFailure?.arrayBuffers ?? 0) -
      (before.heapUsed + before.arrayBuffers);
    expect(grown).toBeLessThan(inflatedSize / 2);
  });

  it('closes with 1009 on a bomb split over fragments', async () => {
    const bomb = deflateRawSync(Buffer.alloc(4 * MiB), {
      finishFlush: constants.Z_SYNC_FLUSH,
    }).subarray(0, -4);
    const h = await harness({ maxMessageBytes: MiB });
    const raw = await rawDeflate(h.port);
    const half = Math.floor(bomb.length / 2);
    raw.sendRaw(
      Buffer.concat([
        clientFrame(1, bomb.subarray(0, half), { fin: false, rsv1: true }),
        clientFrame(0, bomb.subarray(half)),
      ]),
    );
    await raw.waitForFrames(1);
    expect(raw.closeFrame()?.code).toBe(1009);
  });

  it('accepts a compressed message that inflates to exactly maxMessageBytes', async () => {
    const h = await harness({ maxMessageBytes: MiB });
    const raw = await rawDeflate(h.port);
    raw.sendFrame(
      2,
      deflateRawSync(Buffer.alloc(MiB, 1), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4),
      { rsv1: true },
    );
    await waitFor(() => h.messages.length === 1);
    expect((h.messages[0]?.data as Buffer | undefined)?.length).toBe(MiB);
  });

  it('closes with 1007 WSG_COMPRESSED_DATA_INVALID on data that is not DEFLATE', async () => {
    const h = await harness();
    const raw = await rawDeflate(h.port);
    const connection = await h.connection();
    const closed = closeEvent(connection);
    // BFINAL=1 with BTYPE=11, a reserved block type (RFC 1951 §3.2.3).
    raw.sendFrame(2, Buffer.from([0xff, 0xff, 0xff, 0xff]), { rsv1: true });
    await raw.waitForFrames(1);
    expect(raw.closeFrame()?.code).toBe(1007);
    expect(raw.closeFrame()?.reason.startsWith('WSG_COMPRESSED_DATA_INVALID')).toBe(true);
    const [code, , error] = await closed;
    expect(code).toBe(1007);
    expect(error?.code).toBe('WSG_COMPRESSED_DATA_INVALID');
  });

  it('closes with 1007 when a message refers back into the previous one under client_no_context_takeover', async () => {
    const h = await harness();
    const raw = await rawDeflate(h.port, 'permessage-deflate; client_no_context_takeover');
    // A compressor that keeps its context, against the agreement (RFC 7692 §7.1.1.2).
    const compress = streamingCompressor();
    raw.sendFrame(1, await compress(phrase), { rsv1: true });
    raw.sendFrame(1, await compress(phrase), { rsv1: true });
    await raw.waitForFrames(1);
    expect(raw.closeFrame()?.code).toBe(1007);
    expect(raw.closeFrame()?.reason.startsWith('WSG_COMPRESSED_DATA_INVALID')).toBe(true);
    expect(h.messages.map((m) => m.data)).toEqual([phrase.toString()]);
  });

  it('keeps one window of plaintext per direction (in a buffer of twice its size) and no zlib stream between messages', () => {
    const codec = new ZlibMessageCodec({
      compressWindowBits: 10,
      compressNoContextTakeover: false,
      decompressWindowBits: 12,
      decompressNoContextTakeover: false,
    });
    const peer = new ZlibMessageCodec({
      compressWindowBits: 12,
      compressNoContextTakeover: false,
      decompressWindowBits: 10,
      decompressNoContextTakeover: false,
    });
    for (let i = 0; i < 50; i++) {
      const message = Buffer.from(wordyText(random, 5_000 + i));
      const inflated = peer.decompress(codec.compress(message), 1024 * 1024);
      expect(Buffer.from(inflated as Uint8Array).equals(message)).toBe(true);
      const back = codec.decompress(peer.compress(message), 1024 * 1024);
      expect(Buffer.from(back as Uint8Array).equals(message)).toBe(true);
    }
    // zlib runs one call at a time, and nothing of it outlives the call: the codec holds two
    // buffers, each twice its agreed window (2^10 and 2^12 bytes), where the window slides.
    const held = Object.values(codec).flatMap((value) =>
      value !== null && typeof value === 'object' ? Object.values(value) : [],
    );
    expect(held.some((value) => value instanceof Transform)).toBe(false);
    const windows = held.filter((value): value is Buffer => Buffer.isBuffer(value));
    expect(windows.map((w) => w.length).sort((a, b) => a - b)).toEqual([2 * 1024, 2 * 4096]);
  });

  it('closes with 1007 WSG_TEXT_INVALID_UTF8 when a text message inflates to invalid UTF-8', async () => {
    const h = await harness();
    const raw = await rawDeflate(h.port);
    raw.sendFrame(1, await streamingCompressor()(Buffer.from([0x61, 0xff, 0x62])), { rsv1: true });
    await raw.waitForFrames(1);
    expect(raw.closeFrame()?.code).toBe(1007);
    expect(raw.closeFrame()?.reason.startsWith('WSG_TEXT_INVALID_UTF8')).toBe(true);
  });

  it.each([
    [
      'a continuation frame',
      [clientFrame(1, 'a', { fin: false }), clientFrame(0, 'b', { rsv1: true })],
    ],
    ['a ping', [clientFrame(9, 'p', { rsv1: true })]],
  ])('closes with 1002 WSG_FRAME_RSV_BITS on RSV1 set on %s', async (_name, frames) => {
    const h = await harness();
    const raw = await rawDeflate(h.port);
    raw.sendRaw(Buffer.concat(frames));
    await raw.waitForFrames(1);
    expect(raw.closeFrame()?.code).toBe(1002);
    expect(raw.closeFrame()?.reason.startsWith('WSG_FRAME_RSV_BITS')).toBe(true);
  });

  it('closes with 1002 on RSV1 when permessage-deflate was not negotiated', async () => {
    const h = await harness();
    const raw = await openRawWebSocket(h.port);
    raws.push(raw);
    raw.sendFrame(1, await streamingCompressor()(phrase), { rsv1: true });
    await raw.waitForFrames(1);
    expect(raw.closeFrame()?.code).toBe(1002);
    expect(raw.closeFrame()?.reason.startsWith('WSG_FRAME_RSV_BITS')).toBe(true);
  });
});
