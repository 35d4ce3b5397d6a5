import { deflateRawSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { clientFrame } from '../wire/index.js';
import { DEFLATE_OFFER, ENDPOINTS, type HostileDemo, MiB } from './hostile-demo.js';
import { expectGrowthBelow, watchRss } from './process-probes.js';
import { closeOf, deflateBomb, flushed } from './raw-clients.js';

/** permessage-deflate: bombs, and resets in the middle of compressed messages. */
export function deflateChecks(demo: HostileDemo): void {
  const { raw, expectStillServing, expectSocketsFreed, pid } = demo;

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
}
