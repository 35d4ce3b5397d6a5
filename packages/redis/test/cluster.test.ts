import {
  BackplaneEvents,
  closedPort,
  describeBackplane,
  type RedisCluster,
  startRedisCluster,
} from '@wsgate/test-kit';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBackplane } from '../src/index.js';

const text = (value: string) => new TextEncoder().encode(value);

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
}, 30_000);
afterAll(async () => {
  await cluster?.kill();
});

describeBackplane('RedisBackplane on a Redis Cluster of three masters', () => ({
  node: (options) =>
    new RedisBackplane({ cluster: { rootNodes: [...cluster.rootNodes] }, ...options }),
}));

/** Runs a command on one node of the cluster, as redis-cli would (no redirections). */
async function onNode(url: string, command: string[]): Promise<unknown> {
  const client = createClient({ url });
  await client.connect();
  try {
    return await client.sendCommand(command);
  } finally {
    await client.close();
  }
}

describe('RedisBackplane on a Redis Cluster', () => {
  it('delivers across two backplanes that each know a different node, for topics on every shard', async () => {
    const [first, , last] = cluster.urls;
    // A prefix of its own: the conformance suite left topics of its own in the cluster.
    const keyPrefix = 'cross:';
    const subscriber = new RedisBackplane({
      keyPrefix,
      cluster: { rootNodes: [{ url: first as string }] },
    });
    const publisher = new RedisBackplane({
      keyPrefix,
      cluster: { rootNodes: [{ url: last as string }] },
    });
    const events = new BackplaneEvents();
    await subscriber.start(events.listener);
    await publisher.start(() => {});
    try {
      const topics = Array.from({ length: 12 }, (_, i) => `rooms.${i}`);
      for (const topic of topics) await subscriber.subscribe(topic);
      await subscriber.join('rooms.0', { clientId: 'ada', data: { name: 'Ada' } });
      for (const topic of topics) {
        await publisher.publish(topic, text(`one ${topic}`), false);
        expect(await publisher.publish(topic, text(`two ${topic}`), false)).toMatchObject({
          offset: 2,
        });
      }
      await events.until(
        () => topics.every((topic) => events.messages(topic).length === 2),
        'two messages of each topic',
      );
      for (const topic of topics)
        expect(
          events.messages(topic).map((m) => [m.offset, new TextDecoder().decode(m.data)]),
        ).toEqual([
          [1, `one ${topic}`],
          [2, `two ${topic}`],
        ]);
      expect(await publisher.members('rooms.0')).toEqual([
        { clientId: 'ada', data: { name: 'Ada' } },
      ]);
      const recovered = await publisher.history('rooms.5', {
        offset: 1,
        epoch: events.messages('rooms.5')[0]?.epoch ?? '',
      });
      expect(recovered.recovered).toBe(true);
      expect(recovered.messages.map((m) => m.offset)).toEqual([2]);

      // Each topic's keys sit on one master (one hash tag, one slot), and the topics are spread
      // over all three; the live channels are shard channels of those same masters.
      const owner = new Map<string, string>();
      for (const url of cluster.urls) {
        const keys = (await onNode(url, ['KEYS', `${keyPrefix}*`])) as string[];
        expect(keys.length, url).toBeGreaterThan(0);
        for (const key of keys) {
          const tag = /\{([^}]*)\}/.exec(key)?.[1] ?? key;
          expect(owner.get(tag) ?? url, `${key} is on one node only`).toBe(url);
          owner.set(tag, url);
        }
        const shardChannels = (await onNode(url, [
          'PUBSUB',
          'SHARDCHANNELS',
          `${keyPrefix}*`,
        ])) as string[];
        const tagsHere = [...owner].filter(([, at]) => at === url).map(([tag]) => tag);
        expect(shardChannels.sort()).toEqual(
          tagsHere.map((tag) => `${keyPrefix}{${tag}}:live`).sort(),
        );
        expect(await onNode(url, ['PUBSUB', 'CHANNELS'])).toEqual([]);
      }
      expect(owner.size).toBe(topics.length);
    } finally {
      await Promise.all([subscriber.close(), publisher.close()]);
    }
  });

  it('start() rejects with WSG_BACKPLANE_UNAVAILABLE when no root node answers', async () => {
    const port = await closedPort();
    const backplane = new RedisBackplane({
      cluster: { rootNodes: [{ url: `redis://user:secret@127.0.0.1:${port}` }] },
    });
    const error = await backplane.start(() => {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'WsgateError', code: 'WSG_BACKPLANE_UNAVAILABLE' });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).not.toContain('secret');
    await backplane.close();
  });

  it('refuses a cluster together with a url, or with shardedPubSub: false', () => {
    const rootNodes = [{ url: 'redis://127.0.0.1:7000' }];
    expect(() => new RedisBackplane({ cluster: { rootNodes }, url: 'redis://127.0.0.1' })).toThrow(
      /either `cluster`.*or `url`\/`client`/,
    );
    expect(() => new RedisBackplane({ cluster: { rootNodes }, shardedPubSub: false })).toThrow(
      /needs sharded pub\/sub/,
    );
  });
});
