import { BackplaneEvents, closedPort } from '@wsgate/test-kit';
import { createClient } from 'redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisBackplane } from '../src/index.js';
import { type RedisServer, startRedis } from './redis-server.js';

const text = (value: string) => new TextEncoder().encode(value);

/** Retries `attempt` until it resolves, for waiting on a restarting Redis: bounded, never a fixed sleep. */
async function eventually<T>(
  attempt: () => Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`${what} did not succeed in ${timeoutMs} ms`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('RedisBackplane when Redis is absent at start', () => {
  it('start() rejects with WSG_BACKPLANE_UNAVAILABLE naming the address, and leaves nothing running', async () => {
    const port = await closedPort();
    const backplane = new RedisBackplane({ url: `redis://user:secret@127.0.0.1:${port}` });
    const events = new BackplaneEvents();
    const error = await backplane.start(events.listener).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'WsgateError', code: 'WSG_BACKPLANE_UNAVAILABLE' });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).not.toContain('secret');
    await expect(backplane.publish('news', text('x'), false)).rejects.toMatchObject({
      code: 'WSG_BACKPLANE_UNAVAILABLE',
    });
    await backplane.close();
    expect(events.events).toEqual([]);
  });
});

describe('RedisBackplane when Redis goes away while running', () => {
  let redis: RedisServer;
  beforeEach(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await redis.kill();
  });

  it('reports the outage as an error event and rejects publishes with the code, without crashing', async () => {
    const backplane = new RedisBackplane({ url: redis.url });
    const events = new BackplaneEvents();
    await backplane.start(events.listener);
    await backplane.subscribe('news');
    await backplane.publish('news', text('before'), false);
    await redis.kill();
    const outage = await events.next((e) => e.type === 'error', 'an error event');
    expect(outage).toMatchObject({ error: { code: 'WSG_BACKPLANE_UNAVAILABLE' } });
    await expect(backplane.publish('news', text('lost'), false)).rejects.toMatchObject({
      name: 'WsgateError',
      code: 'WSG_BACKPLANE_UNAVAILABLE',
    });
    await expect(backplane.history('news', { offset: 0, epoch: 'x' })).rejects.toMatchObject({
      code: 'WSG_BACKPLANE_UNAVAILABLE',
    });
    await expect(backplane.subscribe('other')).rejects.toMatchObject({
      code: 'WSG_BACKPLANE_UNAVAILABLE',
    });
    // One event per outage and connection, not one per reconnection attempt.
    expect(events.events.filter((e) => e.type === 'error').length).toBeLessThanOrEqual(2);
    await backplane.close();
  });

  it('rejects with the code when Redis stops answering, and works again once it answers', async () => {
    const backplane = new RedisBackplane({ url: redis.url, commandTimeoutMs: 300 });
    const events = new BackplaneEvents();
    await backplane.start(events.listener);
    await backplane.publish('news', text('before'), false);
    redis.pause();
    try {
      const startedAt = Date.now();
      const error = await backplane.publish('news', text('unanswered'), false).catch((e) => e);
      expect(error).toMatchObject({ code: 'WSG_BACKPLANE_UNAVAILABLE' });
      expect((error as Error).message).toContain('no answer from Redis within 300 ms');
      expect(Date.now() - startedAt).toBeLessThan(3_000);
    } finally {
      redis.resume();
    }
    // The unanswered publish ran once Redis went on: the caller was told it might have.
    expect((await backplane.publish('news', text('after'), false)).offset).toBe(3);
    expect(events.events.filter((e) => e.type === 'error')).toEqual([]);
    await backplane.close();
  });

  it.each([
    ['PUBLISH', false],
    ['SPUBLISH (sharded)', true],
  ])(
    'after a restart, with %s: reconnect event, live delivery resumes, and the lost history shows as a new epoch',
    async (_label, shardedPubSub) => {
      const subscriber = new RedisBackplane({ url: redis.url, shardedPubSub });
      const publisher = new RedisBackplane({ url: redis.url, shardedPubSub });
      const events = new BackplaneEvents();
      await subscriber.start(events.listener);
      await publisher.start(() => {});
      await subscriber.subscribe('news');
      await subscriber.join('news', { clientId: 'reader', data: { since: 'before' } });
      await publisher.publish('news', text('one'), false);
      const before = await publisher.publish('news', text('two'), false);
      await events.until(() => events.messages('news').length === 2, 'two messages');

      await redis.restart();
      const reconnected = events.events.length;
      await events.next((e) => e.type === 'reconnect', 'the reconnect event', {
        timeoutMs: 10_000,
      });

      const after = await eventually(
        () => publisher.publish('news', text('three'), false),
        'a publish after the restart',
      );
      expect(after.offset).toBe(1);
      expect(after.epoch).not.toBe(before.epoch);
      const live = await events.next(
        (e) => e.type === 'message' && e.message.epoch === after.epoch,
        'the live message after the restart',
        { from: reconnected },
      );
      expect(live).toMatchObject({ message: { topic: 'news', offset: 1 } });
      expect(
        new TextDecoder().decode((live as { message: { data: Uint8Array } }).message.data),
      ).toBe('three');
      expect(await subscriber.history('news', before)).toEqual({
        recovered: false,
        position: after,
        messages: [],
      });
      // The subscriber's node put its member back in the empty Redis.
      const members = await eventually(async () => {
        const found = await publisher.members('news');
        if (found.length === 0) throw new Error('no member yet');
        return found;
      }, 'the member back in Redis');
      expect(members).toEqual([{ clientId: 'reader', data: { since: 'before' } }]);
      await Promise.all([subscriber.close(), publisher.close()]);
    },
  );

  it('after only the subscriber connection drops: reconnect event, and history fills the gap in the same epoch', async () => {
    const subscriber = new RedisBackplane({ url: redis.url });
    const publisher = new RedisBackplane({ url: redis.url });
    const events = new BackplaneEvents();
    await subscriber.start(events.listener);
    await publisher.start(() => {});
    await subscriber.subscribe('feed');
    const first = await publisher.publish('feed', text('m1'), false);
    await events.until(() => events.messages('feed').length === 1, 'm1');

    const admin = createClient({ url: redis.url });
    await admin.connect();
    expect(await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub'])).toBe(1);
    await admin.close();
    for (const word of ['m2', 'm3', 'm4']) await publisher.publish('feed', text(word), false);
    await events.next((e) => e.type === 'reconnect', 'the reconnect event', { timeoutMs: 10_000 });
    const last = await publisher.publish('feed', text('m5'), false);
    await events.next(
      (e) => e.type === 'message' && e.message.offset === last.offset,
      'm5, live after the reconnect',
    );

    // What the layer above does on `reconnect`: ask for everything after the last offset it had.
    const filled = await subscriber.history('feed', first);
    expect(filled.recovered).toBe(true);
    expect(filled.position).toEqual(last);
    expect(filled.messages.map((m) => m.offset)).toEqual([2, 3, 4, 5]);
    const live = events.messages('feed').map((m) => m.offset);
    expect(live.at(-1)).toBe(5);
    expect(live.every((offset, i) => i === 0 || offset > (live[i - 1] ?? 0))).toBe(true);
    await Promise.all([subscriber.close(), publisher.close()]);
  });
});
