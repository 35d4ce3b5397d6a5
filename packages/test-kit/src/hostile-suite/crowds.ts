import { expect, it } from 'vitest';
import { waitFor } from '../net.js';
import type { RawWebSocket } from '../raw-websocket.js';
import { clientFrame } from '../wire/index.js';
import { type HostileDemo, MiB } from './hostile-demo.js';
import { expectGrowthBelow, watchRss } from './process-probes.js';
import { closeOf, repeated } from './raw-clients.js';

/** Many connections at once, and the chat room under a join storm and a member that never reads. */
export function crowdChecks(demo: HostileDemo): void {
  const { raw, expectStillServing, expectSocketsFreed, pid } = demo;

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
}
