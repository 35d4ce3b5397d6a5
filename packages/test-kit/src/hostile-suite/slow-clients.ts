import { expect, it } from 'vitest';
import { waitFor } from '../net.js';
import { clientFrame } from '../wire/index.js';
import { ENDPOINTS, type HostileDemo, MiB } from './hostile-demo.js';
import { expectGrowthBelow, watchRss } from './process-probes.js';
import { closeOf, repeated, socketClosed, writeUntilStalled } from './raw-clients.js';

/** Ping floods, clients that do not read, half-open connections, resets mid-echo. */
export function slowClientChecks(demo: HostileDemo): void {
  const { raw, expectStillServing, expectSocketsFreed, pid } = demo;

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
      const text = path === '/echo' ? 'last words' : '{"event":"join","data":{"name":"Half Open"}}';
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
}
