import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { constants, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from './demo-app.js';
import { waitFor } from './net.js';
import { type RawResponse, rawExchange, sendAndRead, upgradeHeaders } from './raw-http.js';
import { openRawWebSocket, type RawWebSocket } from './raw-websocket.js';
import { clientFrame, clientFrameHeader, closePayload } from './wire/index.js';
import { openWs, wsNextMessage } from './ws-client.js';

const MiB = 1024 * 1024;
const ENDPOINTS = ['/echo', '/chat'] as const;
const DEFLATE_OFFER = { 'Sec-WebSocket-Extensions': 'permessage-deflate' };

// --- the demo process, seen from outside ---------------------------------------------------

/**
 * Reads a file under /proc for the memory and descriptor checks. On Linux a missing /proc is an
 * error, not a pass: the checks would otherwise hold without measuring anything. Elsewhere there
 * is no /proc and the checks are not made (undefined).
 */
function readProc<T>(read: () => T, what: string): T | undefined {
  try {
    return read();
  } catch (error) {
    if (process.platform !== 'linux') return undefined;
    throw new Error(`cannot read ${what} on Linux, so the check cannot be made: ${error}`);
  }
}

/** Resident memory of a process (VmRSS). */
function rssBytes(pid: number | undefined): number | undefined {
  return readProc(() => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kib === undefined) throw new Error(`no VmRSS line in /proc/${pid}/status`);
    return Number(kib) * 1024;
  }, `/proc/${pid}/status`);
}

/** Open file descriptors of a process (its sockets among them). */
function openFds(pid: number | undefined): number | undefined {
  return readProc(() => readdirSync(`/proc/${pid}/fd`).length, `/proc/${pid}/fd`);
}

/** Samples a process's RSS every 10 ms; `stop` gives the highest growth over the first sample. */
function watchRss(pid: number | undefined): { stop(): number | undefined } {
  const start = rssBytes(pid);
  let peak = start ?? 0;
  const sample = (): void => {
    peak = Math.max(peak, rssBytes(pid) ?? 0);
  };
  const timer = setInterval(sample, 10);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return start === undefined ? undefined : peak - start;
    },
  };
}

/** Asserts the growth `watchRss` measured (undefined only where there is no /proc at all). */
function expectGrowthBelow(growthBytes: number | undefined, limitBytes: number): void {
  if (growthBytes === undefined) return;
  expect(growthBytes, `RSS grew by ${(growthBytes / MiB).toFixed(1)} MiB`).toBeLessThan(limitBytes);
}

/** Resolves once every byte written to `socket` so far has been handed to the kernel. */
function flushed(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
}

// --- raw clients ---------------------------------------------------------------------------

/** A handshake's request head, with `extra` headers after the valid ones. */
function handshakeHead(port: number, path: string, extra: Record<string, string> = {}): Buffer {
  let head = `GET ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries({ ...upgradeHeaders(port), ...extra }))
    head += `${name}: ${value}\r\n`;
  return Buffer.from(`${head}\r\n`, 'latin1');
}

/**
 * Sends `bytes` a chunk at a time, each after the previous one was handed to the kernel, and
 * stops as soon as the server answers: a server that answers an oversized head and closes
 * would otherwise reset a connection still being written to, and the answer be lost.
 */
async function pacedExchange(
  port: number,
  bytes: Buffer,
  chunkBytes: number,
  timeoutMs = 5_000,
): Promise<RawResponse> {
  let sentBytes = 0;
  const { response } = await sendAndRead(
    port,
    (socket, answered) => {
      const pump = (): void => {
        if (answered() || socket.destroyed || sentBytes >= bytes.length) return;
        const piece = bytes.subarray(sentBytes, sentBytes + chunkBytes);
        sentBytes += piece.length;
        socket.write(piece, () => setImmediate(pump));
      };
      pump();
    },
    { timeoutMs },
  );
  return response;
}

/**
 * Writes `burst` again and again, without reading, until `maxBytes` are queued or the socket
 * has not drained for `stallMs` (the server stopped reading). Returns the bytes queued.
 */
async function writeUntilStalled(
  socket: Socket,
  burst: Buffer,
  maxBytes: number,
  stallMs = 500,
): Promise<number> {
  let queued = 0;
  while (queued < maxBytes && !socket.destroyed) {
    queued += burst.length;
    if (socket.write(burst)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        socket.off('drain', onDrain);
        resolve(false);
      }, stallMs);
      const onDrain = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      socket.once('drain', onDrain);
    });
    if (!drained) break;
  }
  return queued;
}

/** `count` copies of one frame, in one buffer. */
function repeated(frame: Buffer, count: number): Buffer {
  const bytes = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(bytes, i * frame.length);
  return bytes;
}

/**
 * A permessage-deflate payload inflating to `inflatedBytes` zeros. Compressing 8 MiB once and
 * repeating it is enough: the blocks are non-final and end on a byte boundary (sync flush), and
 * their back-references reach only zeros, so the copies make one valid DEFLATE stream.
 */
function deflateBomb(inflatedBytes: number): Buffer {
  const piece = 8 * MiB;
  const compressed = deflateRawSync(Buffer.alloc(piece), {
    level: 9,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  return repeated(compressed, Math.ceil(inflatedBytes / piece));
}

/** The close frame a raw client received, once the server has closed TCP (bounded wait). */
async function closeOf(
  raw: RawWebSocket,
  timeoutMs = 5_000,
): Promise<{ code: number | undefined; reason: string } | undefined> {
  await raw.waitForClose(timeoutMs);
  return raw.closeFrame();
}

/** Waits until a socket has closed, or `timeoutMs`; true if it did. */
async function socketClosed(socket: Socket, timeoutMs = 5_000): Promise<boolean> {
  if (socket.destroyed) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

// --- the suite -----------------------------------------------------------------------------

/**
 * Hostile clients against a demo app's `/echo` and `/chat`, started as a built child process
 * with its default limits (16 MiB messages, 16 MiB send cap, permessage-deflate on). Every
 * input gets its exact HTTP status or close code, and afterwards the process is still alive,
 * still echoing, and its memory (VmRSS) and sockets (open descriptors) are bounded.
 */
export function demoHostileSuite(name: string, appDir: string): void {
  describe(`${name} survives hostile clients`, () => {
    let demo: RunningDemo;
    let startRss: number | undefined;
    /** The demo's open descriptors when the running test began. */
    let testStartFds: number | undefined;
    const pid = (): number | undefined => demo.child.pid;
    const raws: RawWebSocket[] = [];

    async function raw(
      path: string,
      options: { headers?: Record<string, string>; after?: Uint8Array } = {},
    ): Promise<RawWebSocket> {
      const socket = await openRawWebSocket(demo.port, { path, ...options });
      raws.push(socket);
      return socket;
    }

    /** The process is alive and echoes on a fresh connection (the test's raw clients closed first). */
    async function expectStillServing(): Promise<void> {
      for (const socket of raws.splice(0)) socket.destroy();
      expect(demo.child.exitCode, demo.output()).toBeNull();
      expect(demo.child.signalCode).toBeNull();
      const client = await openWs(`ws://127.0.0.1:${demo.port}/echo`);
      try {
        const answer = wsNextMessage(client, 3_000);
        client.send('still serving');
        expect((await answer).data.toString()).toBe('still serving');
      } finally {
        client.terminate();
      }
    }

    /** Every socket the test opened is closed by the demo too (its descriptors are back). */
    async function expectSocketsFreed(timeoutMs = 8_000): Promise<void> {
      if (testStartFds === undefined) return;
      const baseline = testStartFds;
      await waitFor(() => (openFds(pid()) ?? 0) <= baseline + 2, {
        timeoutMs,
        intervalMs: 50,
        what: `the demo's open descriptors back to ${baseline} (now ${openFds(pid())})`,
      });
    }

    beforeAll(async () => {
      demo = await startDemo(appDir);
      // Warmed up (a first echo loads what a first connection needs) before the baselines.
      await expectStillServing();
      startRss = rssBytes(pid());
    });

    // Each test compares the descriptors with its own start, not with the suite's, so that it
    // holds whatever ran before it.
    beforeEach(() => {
      testStartFds = openFds(pid());
    });

    afterAll(async () => {
      for (const socket of raws.splice(0)) socket.destroy();
      try {
        // Memory over the whole suite: every hostile client above, whichever of them ran.
        const now = demo === undefined ? undefined : rssBytes(pid());
        if (now !== undefined && startRss !== undefined) {
          expect(now - startRss, 'RSS growth over the suite').toBeLessThan(256 * MiB);
        }
      } finally {
        await demo?.stop();
      }
    });

    // --- before the handshake ----------------------------------------------------------

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

    // --- frames after the handshake ----------------------------------------------------

    it.each(ENDPOINTS)(
      '%s: closes with 1002 on an HTTP request pipelined after the handshake in the same TCP write',
      async (path) => {
        // "GE" read as a frame header: opcode 7 with RSV1, and no mask (RFC 6455 §5.1).
        const client = await raw(path, { after: Buffer.from('GET / HTTP/1.1\r\n\r\n') });
        expect(client.response.status).toBe(101);
        expect(await closeOf(client)).toMatchObject({ code: 1002 });
        expect(client.closed).toBe(true);
        await expectStillServing();
      },
    );

    it.each(ENDPOINTS)(
      '%s: closes a frame announcing 2^63 bytes with 1002 WSG_FRAME_LENGTH_INVALID',
      async (path) => {
        const client = await raw(path);
        client.sendRaw(clientFrameHeader(2, 2 ** 63));
        const close = await closeOf(client);
        expect(close?.code).toBe(1002);
        expect(close?.reason).toMatch(/^WSG_FRAME_LENGTH_INVALID/);
        await expectStillServing();
      },
    );

    it.each(ENDPOINTS)(
      '%s: closes a frame announcing 2^62 bytes with 1009 WSG_MESSAGE_TOO_BIG from its header alone',
      async (path) => {
        const client = await raw(path);
        client.sendRaw(clientFrameHeader(2, 2 ** 62));
        const close = await closeOf(client);
        expect(close?.code).toBe(1009);
        expect(close?.reason).toMatch(/^WSG_MESSAGE_TOO_BIG/);
        await expectStillServing();
      },
    );

    it.each(ENDPOINTS)(
      '%s: closes a text message whose invalid UTF-8 is split over fragments with 1007',
      async (path) => {
        const client = await raw(path);
        // "h" and the first two bytes of "€" (e2 82 ac), then a fragment that does not go on
        // with its third: only the two fragments together are invalid (RFC 6455 §8.1).
        client.sendRaw(
          Buffer.concat([
            clientFrame(1, Buffer.from('68e282', 'hex'), { fin: false }),
            clientFrame(0, Buffer.from('2841', 'hex')),
          ]),
        );
        const close = await closeOf(client);
        expect(close?.code).toBe(1007);
        expect(close?.reason).toMatch(/^WSG_TEXT_INVALID_UTF8/);
        await expectStillServing();
      },
    );

    it.each(ENDPOINTS)(
      '%s: closes an RSV1 frame on a connection without permessage-deflate with 1002',
      async (path) => {
        const client = await raw(path);
        expect(client.response.headers['sec-websocket-extensions']).toBeUndefined();
        client.sendFrame(1, 'compressed?', { rsv1: true });
        const close = await closeOf(client);
        expect(close?.code).toBe(1002);
        expect(close?.reason).toMatch(/^WSG_FRAME_RSV_BITS/);
        await expectStillServing();
      },
    );

    it.each([1005, 999, 5000])(
      'closes a close frame with the invalid code %i with 1002 WSG_CLOSE_CODE_INVALID',
      async (code) => {
        for (const path of ENDPOINTS) {
          const client = await raw(path);
          client.sendFrame(8, closePayload(code));
          const close = await closeOf(client);
          expect(close?.code).toBe(1002);
          expect(close?.reason).toMatch(/^WSG_CLOSE_CODE_INVALID/);
        }
        await expectStillServing();
      },
    );

    it('echoes a text message sent as 10,000 fragments of one byte', async () => {
      const client = await raw('/echo');
      const count = 10_000;
      const frames: Buffer[] = [clientFrame(1, 'a', { fin: false })];
      for (let i = 1; i < count - 1; i++) frames.push(clientFrame(0, 'b', { fin: false }));
      frames.push(clientFrame(0, 'c'));
      client.sendRaw(Buffer.concat(frames));
      const [echo] = await client.waitForFrames(1, 5_000);
      expect(echo?.opcode).toBe(1);
      expect(echo?.payload.toString()).toBe(`a${'b'.repeat(count - 2)}c`);
      await expectStillServing();
    });

    // --- permessage-deflate ------------------------------------------------------------

    // /chat takes 64 KiB messages, so less compressed data than /echo's 16 MiB: its bomb is
    // smaller, to be inflated rather than refused from its frame header.
    it.each([
      ['/echo', 1024],
      ['/chat', 32],
    ] as const)(
      '%s: closes a deflate bomb (%i MiB of zeros, compressed about 1000 times) with 1009 within 2 s, without holding what it inflates to',
      async (path, inflatedMiB) => {
        const bomb = deflateBomb(inflatedMiB * MiB);
        expect(bomb.length).toBeLessThan((inflatedMiB * MiB) / 900);
        const client = await raw(path, { headers: DEFLATE_OFFER });
        expect(client.response.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
        const rss = watchRss(pid());
        const started = Date.now();
        client.sendRaw(clientFrame(2, bomb, { rsv1: true }));
        const close = await closeOf(client, 5_000);
        const elapsedMs = Date.now() - started;
        const growth = rss.stop();
        expect(close?.code).toBe(1009);
        expect(close?.reason).toMatch(/^WSG_MESSAGE_TOO_BIG/);
        expect(elapsedMs).toBeLessThan(2_000);
        // Inflating stops at the message limit (16 MiB on /echo).
        expectGrowthBelow(growth, 64 * MiB);
        await expectStillServing();
      },
    );

    it.each(ENDPOINTS)(
      '%s: keeps serving after resets in the middle of a frame and of a compressed message',
      async (path) => {
        const compressed = deflateRawSync(Buffer.alloc(64 * 1024, 'x'));
        for (let i = 0; i < 20; i++) {
          const plain = await raw(path);
          plain.sendRaw(clientFrame(2, Buffer.alloc(100_000, 1)).subarray(0, 50_000));
          const deflated = await raw(path, { headers: DEFLATE_OFFER });
          deflated.sendRaw(
            Buffer.concat([
              clientFrame(1, compressed.subarray(0, 10), { rsv1: true, fin: false }),
              clientFrame(0, compressed.subarray(10)).subarray(0, 8),
            ]),
          );
          await Promise.all([flushed(plain.socket), flushed(deflated.socket)]);
          plain.socket.resetAndDestroy();
          deflated.socket.resetAndDestroy();
        }
        await expectStillServing();
        await expectSocketsFreed();
      },
    );

    // --- pings, slow consumers, half-open ----------------------------------------------

    it('answers 100,000 empty pings with 100,000 pongs', async () => {
      const client = await raw('/echo');
      const count = 100_000;
      const rss = watchRss(pid());
      client.sendRaw(repeated(clientFrame(9), count));
      await waitFor(() => client.frames.length >= count || client.closed, {
        timeoutMs: 10_000,
        what: 'the pongs',
      });
      expect(client.frames.length).toBe(count);
      expect(client.frames.every((frame) => frame.opcode === 10)).toBe(true);
      expectGrowthBelow(rss.stop(), 64 * MiB);
      await expectStillServing();
    });

    it('stops reading from a client that pings without reading its pongs, holds about the send cap at most, and answers every ping once it reads', async () => {
      const client = await raw('/echo');
      client.socket.pause();
      const ping = clientFrame(9, Buffer.alloc(125, 0x70));
      const rss = watchRss(pid());
      // 96 MiB of pings at most; a server that kept reading would hold nearly as many pongs.
      const queued = await writeUntilStalled(client.socket, repeated(ping, 8192), 96 * MiB);
      const growth = rss.stop();
      expect(queued).toBeLessThan(96 * MiB);
      // The default send cap is 16 MiB; the rest of the growth is the pings being parsed.
      expectGrowthBelow(growth, 48 * MiB);
      client.socket.resume();
      const pings = queued / ping.length;
      await waitFor(() => client.frames.length >= pings || client.closed, {
        timeoutMs: 20_000,
        what: `${pings} pongs`,
      });
      expect(client.closed).toBe(false);
      expect(client.frames.length).toBe(pings);
      expect(client.frames.every((frame) => frame.opcode === 10)).toBe(true);
      client.sendFrame(1, 'after the flood');
      await client.waitForFrames(pings + 1);
      expect(client.frames.at(-1)?.payload.toString()).toBe('after the flood');
      await expectStillServing();
    }, 30_000);

    it('closes a client that sends large messages to /echo without reading with 1013 WSG_SEND_BUFFER_FULL, holding bounded memory', async () => {
      const client = await raw('/echo');
      client.socket.pause();
      const message = clientFrame(2, Buffer.alloc(MiB, 3));
      const rss = watchRss(pid());
      // 48 MiB at most: the 16 MiB cap and what the kernel holds are passed long before.
      await writeUntilStalled(client.socket, message, 48 * MiB);
      client.socket.resume();
      const close = await closeOf(client, 10_000);
      expectGrowthBelow(rss.stop(), 96 * MiB);
      expect(close?.code).toBe(1013);
      expect(close?.reason).toMatch(/^WSG_SEND_BUFFER_FULL/);
      // What the cap let through came first, then the close frame.
      expect(client.frames.at(-1)?.opcode).toBe(8);
      expect(client.frames.filter((frame) => frame.opcode === 2).length).toBeGreaterThan(0);
      await expectStillServing();
    }, 30_000);

    it.each(ENDPOINTS)(
      '%s: ends its side of a half-open connection (FIN without a close frame) after answering what came before',
      async (path) => {
        const client = await raw(path);
        const text =
          path === '/echo' ? 'last words' : '{"event":"join","data":{"name":"Half Open"}}';
        client.sendFrame(1, text);
        client.socket.end();
        expect(await socketClosed(client.socket, 3_000)).toBe(true);
        expect(client.closeFrame()).toBeUndefined();
        const reply = client.frames[0]?.payload.toString();
        if (path === '/echo') expect(reply).toBe(text);
        else expect(JSON.parse(reply ?? '{}').event).toBe('welcome');
        await expectStillServing();
        await expectSocketsFreed();
      },
    );

    it('keeps serving when resets cut a large echo short', async () => {
      for (let i = 0; i < 10; i++) {
        const client = await raw('/echo');
        const echoing = new Promise((resolve) => client.socket.once('data', resolve));
        client.sendRaw(clientFrame(2, Buffer.alloc(4 * MiB, 1)));
        // Reset once the echo has begun coming back, so it is cut short.
        await echoing;
        client.socket.resetAndDestroy();
      }
      await expectStillServing();
      await expectSocketsFreed();
    });

    // --- many connections, and the chat room -------------------------------------------

    it('survives 400 concurrent connections, half of them chat members, reset at once, and frees them', async () => {
      const rss = watchRss(pid());
      const clients: RawWebSocket[] = [];
      for (let batch = 0; batch < 4; batch++) {
        const opened = await Promise.all(
          Array.from({ length: 100 }, (_, i) => raw(i % 2 === 0 ? '/chat' : '/echo')),
        );
        clients.push(...opened);
      }
      for (const [i, client] of clients.entries()) {
        if (i % 2 === 0) {
          client.sendFrame(1, JSON.stringify({ event: 'join', data: { name: `member ${i}` } }));
        }
      }
      await waitFor(() => clients.every((client, i) => i % 2 !== 0 || client.frames.length > 0), {
        timeoutMs: 5_000,
        what: 'an answer to every join',
      });
      for (const client of clients) client.socket.resetAndDestroy();
      await expectStillServing();
      await expectSocketsFreed();
      expectGrowthBelow(rss.stop(), 128 * MiB);
    });

    it('/chat: keeps a join storm cheap: past 100 members, joining is refused with an error', async () => {
      const members = await Promise.all(Array.from({ length: 120 }, () => raw('/chat')));
      const rss = watchRss(pid());
      for (const [i, member] of members.entries()) {
        member.sendFrame(1, JSON.stringify({ event: 'join', data: { name: `storm ${i}` } }));
      }
      // Each socket's first message answers its join: a welcome, or an error.
      await waitFor(() => members.every((member) => member.frames.length > 0), {
        timeoutMs: 5_000,
        what: 'an answer to every join',
      });
      const answers = members.map((member) =>
        JSON.parse(member.frames[0]?.payload.toString() ?? '{}'),
      );
      const welcomed = answers.filter((answer) => answer.event === 'welcome');
      const refused = answers.filter((answer) => answer.event === 'error');
      expect(welcomed.length + refused.length).toBe(members.length);
      expect(welcomed.length).toBeLessThanOrEqual(100);
      expect(refused.length).toBeGreaterThanOrEqual(20);
      expect(refused[0].data.message).toMatch(/room is full/);
      expectGrowthBelow(rss.stop(), 64 * MiB);
      for (const member of members) member.socket.resetAndDestroy();
      await expectStillServing();
      await expectSocketsFreed();
    });

    it('/chat: closes a member that never reads with 1013 once 1 MiB waits for it, and the room goes on', async () => {
      const sender = await raw('/chat');
      const sleeper = await raw('/chat');
      for (const [member, name] of [
        [sender, 'Sender'],
        [sleeper, 'Sleeper'],
      ] as const) {
        member.sendFrame(1, JSON.stringify({ event: 'join', data: { name } }));
        await member.waitForFrames(1);
      }
      sleeper.socket.pause();
      // 2000 two-byte characters: about 4 KiB for every member, per message.
      const message = clientFrame(
        1,
        JSON.stringify({ event: 'message', data: { text: 'é'.repeat(2000) } }),
      );
      const rss = watchRss(pid());
      // 4,000 messages, 16 MiB for the sleeper: past its 1 MiB cap and what the kernel holds.
      const count = 4_000;
      sender.frames.length = 0;
      sender.sendRaw(repeated(message, count));
      // Once the sender has its own copies, the server is done with them. The sleeper reads
      // then, before the close timeout (5 s) ends a connection whose close frame went unread.
      await waitFor(() => sender.frames.length >= count, {
        timeoutMs: 10_000,
        what: 'the broadcast of every message',
      });
      sleeper.socket.resume();
      const close = await closeOf(sleeper, 10_000);
      expect(close?.code).toBe(1013);
      expect(close?.reason).toMatch(/^WSG_SEND_BUFFER_FULL/);
      expectGrowthBelow(rss.stop(), 96 * MiB);
      sender.frames.length = 0;
      sender.sendFrame(1, JSON.stringify({ event: 'message', data: { text: 'still here' } }));
      await waitFor(
        () => sender.frames.some((frame) => frame.payload.toString().includes('still here')),
        { timeoutMs: 5_000, what: 'the room to go on' },
      );
      await expectStillServing();
    }, 30_000);
  });
}
