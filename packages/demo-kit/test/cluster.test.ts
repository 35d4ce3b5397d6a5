import { fileURLToPath } from 'node:url';
import {
  closedPort,
  LiveClient,
  type LiveMessage,
  openWs,
  type RedisServer,
  type RunningDemo,
  startDemo,
  startRedis,
  waitFor,
} from '@wsgate/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';

// Several demo processes of different frameworks on one real Redis: one cluster (DEMO-CONTRACT.md,
// "Topics: /live and REDIS_URL").
const apps = ['express-demo', 'koa-demo', 'nest-demo'] as const;
const appDir = (name: string) => fileURLToPath(new URL(`../../../apps/${name}`, import.meta.url));

const clients: LiveClient[] = [];
const sockets: WebSocket[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  for (const socket of sockets.splice(0)) socket.terminate();
});

async function live(demo: RunningDemo): Promise<LiveClient> {
  const client = await LiveClient.open(demo.url);
  clients.push(client);
  return client;
}

async function subscribe(client: LiveClient, topic: string, since?: unknown): Promise<LiveMessage> {
  return client.request(
    since === undefined ? { type: 'subscribe', topic } : { type: 'subscribe', topic, since },
    'subscribed',
  );
}

const messages = (client: LiveClient, topic: string) => client.of('message', topic);
const offsetsOf = (client: LiveClient, topic: string) =>
  messages(client, topic).map((m) => m.offset);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('express-demo, koa-demo and nest-demo on one Redis', () => {
  let redis: RedisServer;
  const demos: RunningDemo[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    for (const name of apps) demos.push(await startDemo(appDir(name), { REDIS_URL: redis.url }));
  }, 60_000);
  afterAll(async () => {
    for (const demo of demos) await demo.stop();
    await redis?.kill();
  });

  it('print that they share topics over Redis', () => {
    for (const demo of demos)
      expect(demo.output()).toContain('topics: Redis at redis://127.0.0.1:');
  });

  it('deliver a message published on one node to subscribers on every node, the publisher included', async () => {
    const subscribers = await Promise.all(demos.map(live));
    for (const client of subscribers)
      expect(await subscribe(client, 'fan-out')).toMatchObject({
        type: 'subscribed',
        topic: 'fan-out',
        offset: 0,
        recovered: false,
      });
    subscribers[0]?.send({ type: 'publish', topic: 'fan-out', data: { hello: ['world', 1] } });
    for (const client of subscribers)
      await client.until((c) => messages(c, 'fan-out').length === 1, 'the message');
    const got = subscribers.map((client) => messages(client, 'fan-out')[0]);
    expect(got[0]).toMatchObject({
      type: 'message',
      topic: 'fan-out',
      offset: 1,
      data: { hello: ['world', 1] },
    });
    expect(got[1]).toEqual(got[0]);
    expect(got[2]).toEqual(got[0]);
  });

  it('give every subscriber on every node the same order while publishers on different nodes publish at once', async () => {
    const subscribers = await Promise.all(demos.map(live));
    for (const client of subscribers) await subscribe(client, 'race');
    const perPublisher = 30;
    subscribers.forEach((client, node) => {
      for (let i = 0; i < perPublisher; i++)
        client.send({ type: 'publish', topic: 'race', data: { node, i } });
    });
    const total = perPublisher * subscribers.length;
    for (const client of subscribers)
      await client.until((c) => messages(c, 'race').length === total, `${total} messages`);
    const orders = subscribers.map((client) => messages(client, 'race').map((m) => m.data));
    expect(offsetsOf(subscribers[0] as LiveClient, 'race')).toEqual(range(1, total));
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
    // Each publisher's messages keep the order it sent them in.
    for (let node = 0; node < subscribers.length; node++) {
      const own = (orders[0] as { node: number; i: number }[]).filter((d) => d.node === node);
      expect(own.map((d) => d.i)).toEqual(range(0, perPublisher - 1));
    }
  });

  it('recover exactly the missed messages, in order and before live ones, after reconnecting to another node', async () => {
    const first = await live(demos[0] as RunningDemo);
    const publisher = await live(demos[1] as RunningDemo);
    await subscribe(first, 'recovery');
    for (let i = 1; i <= 5; i++) publisher.send({ type: 'publish', topic: 'recovery', data: i });
    await first.until((c) => messages(c, 'recovery').length === 5, '5 messages');
    const last = messages(first, 'recovery')[2] as LiveMessage; // it saw up to offset 3
    first.close();
    for (let i = 6; i <= 8; i++) publisher.send({ type: 'publish', topic: 'recovery', data: i });
    // The publisher's own requests are handled in order: once its subscription answers, 6-8 are in.
    await subscribe(publisher, 'other');

    const again = await live(demos[2] as RunningDemo);
    const subscribed = await subscribe(again, 'recovery', {
      offset: last.offset,
      epoch: last.epoch,
    });
    expect(subscribed).toMatchObject({ recovered: true, offset: 8, epoch: last.epoch });
    publisher.send({ type: 'publish', topic: 'recovery', data: 9 });
    await again.until((c) => messages(c, 'recovery').length === 6, 'the missed and live messages');
    expect(offsetsOf(again, 'recovery')).toEqual([4, 5, 6, 7, 8, 9]);
    expect(messages(again, 'recovery').map((m) => m.data)).toEqual([4, 5, 6, 7, 8, 9]);
    // `subscribed` came first, then the missed messages.
    expect(again.received[0]?.type).toBe('subscribed');
  });

  it('answer recovered: false for a position of another epoch or beyond the topic, then send live messages only', async () => {
    const client = await live(demos[1] as RunningDemo);
    const start = await subscribe(client, 'stale');
    client.send({ type: 'publish', topic: 'stale', data: 'a' });
    await client.until((c) => messages(c, 'stale').length === 1, 'one message');
    const other = await live(demos[2] as RunningDemo);
    expect(
      await subscribe(other, 'stale', { offset: 0, epoch: `not-${start.epoch}` }),
    ).toMatchObject({ recovered: false, offset: 1, epoch: start.epoch });
    const beyond = await live(demos[0] as RunningDemo);
    expect(await subscribe(beyond, 'stale', { offset: 99, epoch: start.epoch })).toMatchObject({
      recovered: false,
      offset: 1,
    });
    client.send({ type: 'publish', topic: 'stale', data: 'b' });
    await other.until((c) => messages(c, 'stale').length === 1, 'the live message');
    expect(offsetsOf(other, 'stale')).toEqual([2]);
    await beyond.until((c) => messages(c, 'stale').length === 1, 'the live message');
    expect(offsetsOf(beyond, 'stale')).toEqual([2]);
  });

  it('stop sending a topic after unsubscribe', async () => {
    const client = await live(demos[2] as RunningDemo);
    const publisher = await live(demos[0] as RunningDemo);
    await subscribe(client, 'leaving');
    await subscribe(client, 'marker');
    client.send({ type: 'unsubscribe', topic: 'leaving' });
    // Requests are handled in order: once this answers, the unsubscribe is done.
    await subscribe(client, 'sync');
    publisher.send({ type: 'publish', topic: 'leaving', data: 'not delivered' });
    publisher.send({ type: 'publish', topic: 'marker', data: 'after' });
    await client.until((c) => messages(c, 'marker').length === 1, 'the marker');
    expect(messages(client, 'leaving')).toEqual([]);
  });

  it('are one chat room: messages, join notices and who is online span every node', async () => {
    type ChatEvent = { event: string; data: Record<string, unknown> };
    const people = await Promise.all(
      demos.map(async (demo, index) => {
        const socket = await openWs(`${demo.url.replace('http', 'ws')}/chat`);
        sockets.push(socket);
        const received: ChatEvent[] = [];
        socket.on('message', (data) => received.push(JSON.parse(String(data)) as ChatEvent));
        return { socket, received, name: ['Ada', 'Bob', 'Cy'][index] as string };
      }),
    );
    for (const person of people) {
      person.socket.send(JSON.stringify({ event: 'join', data: { name: person.name } }));
      await waitFor(() => person.received.some((e) => e.event === 'welcome'), {
        timeoutMs: 10_000,
      });
    }
    expect(people[2]?.received[0]).toMatchObject({
      event: 'welcome',
      data: { name: 'Cy', online: ['Ada', 'Bob', 'Cy'] },
    });
    await waitFor(() => people[0]?.received.filter((e) => e.event === 'joined').length === 2, {
      timeoutMs: 10_000,
    });
    people[1]?.socket.send(JSON.stringify({ event: 'message', data: { text: 'hello from koa' } }));
    for (const person of people)
      await waitFor(() => person.received.some((e) => e.event === 'message'), {
        timeoutMs: 10_000,
      });
    expect(people[0]?.received.find((e) => e.event === 'message')?.data).toMatchObject({
      from: 'Bob',
      text: 'hello from koa',
    });
    people[2]?.socket.close();
    await waitFor(() => people[0]?.received.some((e) => e.event === 'left') ?? false, {
      timeoutMs: 10_000,
    });
    expect(people[0]?.received.find((e) => e.event === 'left')?.data).toEqual({
      name: 'Cy',
      online: ['Ada', 'Bob'],
    });
  });

  it('answer bad input with an error and its code, and stay usable', async () => {
    const client = await live(demos[1] as RunningDemo);
    const cases: [unknown, string][] = [
      ['not json', 'WSG_MESSAGE_MALFORMED'],
      [[1, 2], 'WSG_MESSAGE_MALFORMED'],
      [{ type: 'shout', topic: 'x' }, 'WSG_EVENT_UNHANDLED'],
      [{ type: 'subscribe' }, 'WSG_TOPIC_INVALID'],
      [{ type: 'subscribe', topic: '' }, 'WSG_TOPIC_INVALID'],
      [{ type: 'publish', topic: 'x'.repeat(129), data: 1 }, 'WSG_TOPIC_INVALID'],
      [{ type: 'subscribe', topic: 7 }, 'WSG_TOPIC_INVALID'],
    ];
    for (const [request, code] of cases) {
      const error = await client.request(request, 'error');
      expect(error.code, JSON.stringify(request)).toBe(code);
      expect(error.message).toEqual(expect.any(String));
    }
    expect(await subscribe(client, 'x'.repeat(128))).toMatchObject({ type: 'subscribed' });
  });
});

describe('a cluster whose Redis restarts mid-stream', () => {
  let redis: RedisServer;
  const demos: RunningDemo[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    for (const name of ['express-demo', 'koa-demo'])
      demos.push(await startDemo(appDir(name), { REDIS_URL: redis.url }));
  }, 60_000);
  afterAll(async () => {
    for (const demo of demos) await demo.stop();
    await redis?.kill();
  });

  it('answers publishes during the outage with WSG_BACKPLANE_UNAVAILABLE, works again after, and gives old positions recovered: false', async () => {
    const one = await live(demos[0] as RunningDemo);
    const two = await live(demos[1] as RunningDemo);
    const before = await subscribe(two, 'outage');
    one.send({ type: 'publish', topic: 'outage', data: 'before' });
    await two.until((c) => messages(c, 'outage').length === 1, 'the first message');

    await redis.kill();
    const error = await one.request({ type: 'publish', topic: 'outage', data: 'lost' }, 'error');
    expect(error.code).toBe('WSG_BACKPLANE_UNAVAILABLE');
    // Still usable: bad input is still answered.
    expect((await one.request('{', 'error')).code).toBe('WSG_MESSAGE_MALFORMED');

    await redis.restart();
    // Publish until Redis is back (each failure is answered with an error, never a crash).
    const deadline = Date.now() + 15_000;
    while (messages(two, 'outage').length < 2) {
      if (Date.now() > deadline)
        throw new Error(`no delivery after the restart: ${JSON.stringify(two.received)}`);
      const errors = one.of('error').length;
      one.send({ type: 'publish', topic: 'outage', data: 'after' });
      await two.until(
        (c) => messages(c, 'outage').length >= 2 || one.of('error').length > errors,
        'a delivery or an error',
      );
      if (messages(two, 'outage').length < 2) await new Promise((r) => setTimeout(r, 200));
    }
    const after = messages(two, 'outage')[1] as LiveMessage;
    expect(after).toMatchObject({ data: 'after', offset: 1 });
    expect(after.epoch).not.toBe(before.epoch);

    const late = await live(demos[1] as RunningDemo);
    expect(await subscribe(late, 'outage', { offset: 1, epoch: before.epoch })).toMatchObject({
      recovered: false,
      epoch: after.epoch,
    });
    for (const demo of demos) expect(demo.child.exitCode).toBeNull();
  });
});

describe('a demo whose REDIS_URL cannot be reached at start', () => {
  it('refuses to start: it prints WSG_BACKPLANE_UNAVAILABLE and exits with status 1', async () => {
    const port = await closedPort();
    const error = await startDemo(appDir('express-demo'), {
      REDIS_URL: `redis://127.0.0.1:${port}`,
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('exited with 1');
    expect((error as Error).message).toContain('WSG_BACKPLANE_UNAVAILABLE');
  });
});
