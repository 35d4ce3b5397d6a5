import { randomUUID } from 'node:crypto';
import type { Backplane, HistoryOptions, TopicMessage } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { BackplaneEvents } from './backplane-events.js';

export interface BackplaneNodeOptions {
  readonly history?: HistoryOptions;
  /** The node's clock (publishedAt, and the age of history). */
  readonly now?: () => number;
}

/** One cluster: every node it makes shares topics with the others, over connections of its own. */
export interface BackplaneCluster {
  node(options?: BackplaneNodeOptions): Backplane;
}

interface StartedNode {
  readonly backplane: Backplane;
  readonly events: BackplaneEvents;
}

const text = (value: string) => new TextEncoder().encode(value);
const read = (message: TopicMessage) => new TextDecoder().decode(message.data);

/**
 * The behaviour every Backplane implementation owes the topic layer: offsets, one order across
 * nodes, history and recovery, presence, and unsubscribing. `cluster` is called inside each test,
 * so it may use servers that a beforeAll started.
 */
export function describeBackplane(name: string, cluster: () => BackplaneCluster): void {
  describe(`${name} (backplane conformance)`, () => {
    const started: Backplane[] = [];
    const topic = (label: string) => `${label}.${randomUUID()}`;

    async function startNode(options: BackplaneNodeOptions = {}): Promise<StartedNode> {
      const backplane = cluster().node(options);
      const events = new BackplaneEvents();
      started.push(backplane);
      await backplane.start(events.listener);
      return { backplane, events };
    }

    afterEach(async () => {
      await Promise.all(started.splice(0).map((backplane) => backplane.close()));
    });

    it('gives a topic with no message offset 0 and keeps its epoch', async () => {
      const { backplane } = await startNode();
      const name = topic('empty');
      const first = await backplane.position(name);
      expect(first.offset).toBe(0);
      expect(first.epoch).toMatch(/^[A-Za-z0-9_-]{8,}$/);
      expect(await backplane.position(name)).toEqual(first);
      const published = await backplane.publish(name, text('one'), false);
      expect(published).toEqual({ offset: 1, epoch: first.epoch });
    });

    it('numbers messages 1, 2, 3 and delivers them in order to a subscribed node, its own included', async () => {
      const { backplane, events } = await startNode();
      const name = topic('order');
      await backplane.subscribe(name);
      const before = Date.now();
      const positions = [];
      for (const word of ['one', 'two', 'three'])
        positions.push(await backplane.publish(name, text(word), false));
      expect(positions.map((p) => p.offset)).toEqual([1, 2, 3]);
      expect(new Set(positions.map((p) => p.epoch)).size).toBe(1);
      await events.until(() => events.messages(name).length === 3, 'three messages');
      const messages = events.messages(name);
      expect(messages.map((m) => [m.offset, read(m), m.binary])).toEqual([
        [1, 'one', false],
        [2, 'two', false],
        [3, 'three', false],
      ]);
      for (const message of messages) {
        expect(message).toMatchObject({ topic: name, epoch: positions[0]?.epoch });
        expect(message.publishedAt).toBeGreaterThanOrEqual(before - 1);
        expect(message.publishedAt).toBeLessThanOrEqual(Date.now() + 1);
      }
      expect(await backplane.position(name)).toEqual(positions[2]);
    });

    it('keeps binary payloads byte for byte and says they are binary', async () => {
      const { backplane, events } = await startNode();
      const name = topic('binary');
      await backplane.subscribe(name);
      const bytes = Uint8Array.from([0, 255, 58, 13, 10, 0, 128, 1]);
      await backplane.publish(name, bytes, true);
      await backplane.publish(name, new Uint8Array(0), true);
      await events.until(() => events.messages(name).length === 2, 'two binary messages');
      const [first, empty] = events.messages(name);
      expect(first?.binary).toBe(true);
      expect([...(first?.data ?? [])]).toEqual([...bytes]);
      expect(empty?.data.length).toBe(0);
      const history = await backplane.history(name, { offset: 0, epoch: first?.epoch ?? '' });
      expect([...(history.messages[0]?.data ?? [])]).toEqual([...bytes]);
      expect(history.messages[0]?.binary).toBe(true);
    });

    it('gives every node one order when two nodes publish at once, keeping each publisher in order', async () => {
      const a = await startNode();
      const b = await startNode();
      const name = topic('concurrent');
      await Promise.all([a.backplane.subscribe(name), b.backplane.subscribe(name)]);
      const perPublisher = 40;
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < perPublisher; i++) {
        sends.push(a.backplane.publish(name, text(`a:${i}`), false));
        sends.push(b.backplane.publish(name, text(`b:${i}`), false));
      }
      await Promise.all(sends);
      const total = perPublisher * 2;
      for (const node of [a, b])
        await node.events.until(() => node.events.messages(name).length === total, 'every message');
      const seenByA = a.events.messages(name);
      const seenByB = b.events.messages(name);
      expect(seenByA.map((m) => m.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(seenByB.map((m) => [m.offset, read(m)])).toEqual(
        seenByA.map((m) => [m.offset, read(m)]),
      );
      for (const publisher of ['a', 'b']) {
        const sequence = seenByA
          .map(read)
          .filter((word) => word.startsWith(`${publisher}:`))
          .map((word) => Number(word.slice(2)));
        expect(sequence).toEqual(Array.from({ length: perPublisher }, (_, i) => i));
      }
    });

    it('recovers exactly the missed messages from a position of the same epoch', async () => {
      const { backplane } = await startNode();
      const name = topic('recover');
      let position = await backplane.position(name);
      for (const word of ['one', 'two', 'three', 'four', 'five'])
        position = await backplane.publish(name, text(word), false);
      const result = await backplane.history(name, { offset: 2, epoch: position.epoch });
      expect(result.recovered).toBe(true);
      expect(result.position).toEqual(position);
      expect(result.messages.map((m) => [m.offset, read(m)])).toEqual([
        [3, 'three'],
        [4, 'four'],
        [5, 'five'],
      ]);
      expect(await backplane.history(name, position)).toEqual({
        recovered: true,
        position,
        messages: [],
      });
      const all = await backplane.history(name, { offset: 0, epoch: position.epoch });
      expect(all.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);
    });

    it('says recovered: false for another epoch or an offset the topic never reached', async () => {
      const { backplane } = await startNode();
      const name = topic('epoch');
      const position = await backplane.publish(name, text('one'), false);
      for (const since of [
        { offset: 0, epoch: 'another-epoch' },
        { offset: 1, epoch: 'another-epoch' },
        { offset: 7, epoch: position.epoch },
      ]) {
        expect(await backplane.history(name, since), JSON.stringify(since)).toEqual({
          recovered: false,
          position,
          messages: [],
        });
      }
    });

    it('keeps at most maxMessages: an offset that left history cannot be recovered', async () => {
      const { backplane } = await startNode({ history: { maxMessages: 3 } });
      const name = topic('bounded');
      let position = await backplane.position(name);
      for (let i = 1; i <= 6; i++) position = await backplane.publish(name, text(`m${i}`), false);
      const stale = await backplane.history(name, { offset: 2, epoch: position.epoch });
      expect(stale).toEqual({ recovered: false, position, messages: [] });
      const kept = await backplane.history(name, { offset: 3, epoch: position.epoch });
      expect(kept.recovered).toBe(true);
      expect(kept.messages.map(read)).toEqual(['m4', 'm5', 'm6']);
    });

    it('keeps messages at most maxAgeMs: an older one cannot be recovered', async () => {
      let now = Date.now();
      const { backplane } = await startNode({ history: { maxAgeMs: 60_000 }, now: () => now });
      const name = topic('aged');
      await backplane.publish(name, text('old'), false);
      now += 61_000;
      const position = await backplane.publish(name, text('new'), false);
      expect(await backplane.history(name, { offset: 0, epoch: position.epoch })).toEqual({
        recovered: false,
        position,
        messages: [],
      });
      const recent = await backplane.history(name, { offset: 1, epoch: position.epoch });
      expect(recent.recovered).toBe(true);
      expect(recent.messages.map((m) => [m.offset, read(m), m.publishedAt])).toEqual([
        [2, 'new', now],
      ]);
    });

    it('stops delivering a topic after unsubscribe, and subscribe twice delivers once', async () => {
      const listener = await startNode();
      const publisher = await startNode();
      const left = topic('left');
      const marker = topic('marker');
      await listener.backplane.subscribe(left);
      await listener.backplane.subscribe(left);
      await listener.backplane.subscribe(marker);
      await publisher.backplane.publish(left, text('while subscribed'), false);
      await listener.events.until(() => listener.events.messages(left).length === 1, 'a message');
      await listener.backplane.unsubscribe(left);
      await listener.backplane.unsubscribe(left);
      await publisher.backplane.publish(left, text('after unsubscribe'), false);
      await publisher.backplane.publish(marker, text('marker'), false);
      // The marker was published after, by the same publisher: had the topic still been
      // delivered, its message would have arrived before the marker.
      await listener.events.until(() => listener.events.messages(marker).length === 1, 'marker');
      expect(listener.events.messages(left).map(read)).toEqual(['while subscribed']);
    });

    it('shares presence across nodes, with join and leave events and member data', async () => {
      const a = await startNode();
      const b = await startNode();
      const name = topic('presence');
      await b.backplane.subscribe(name);
      const alice = { clientId: 'alice', data: { name: 'Alice', tags: ['admin'] } };
      await a.backplane.join(name, alice);
      await a.backplane.join(name, { clientId: 'bob', data: null });
      await b.events.next(
        (e) => e.type === 'presence' && e.action === 'join' && e.member.clientId === 'bob',
        'bob joins',
      );
      const joins = b.events.events.filter((e) => e.type === 'presence');
      expect(joins).toEqual([
        { type: 'presence', topic: name, action: 'join', member: alice },
        { type: 'presence', topic: name, action: 'join', member: { clientId: 'bob', data: null } },
      ]);
      const members = await b.backplane.members(name);
      expect([...members].sort((x, y) => x.clientId.localeCompare(y.clientId))).toEqual([
        alice,
        { clientId: 'bob', data: null },
      ]);
      await a.backplane.leave(name, 'alice');
      await a.backplane.leave(name, 'nobody');
      await b.events.next((e) => e.type === 'presence' && e.action === 'leave', 'alice leaves');
      expect(b.events.events.filter((e) => e.type === 'presence' && e.action === 'leave')).toEqual([
        { type: 'presence', topic: name, action: 'leave', member: alice },
      ]);
      expect(await a.backplane.members(name)).toEqual([{ clientId: 'bob', data: null }]);
    });

    it("removes a closed node's members and tells the other nodes", async () => {
      const leaving = await startNode();
      const staying = await startNode();
      const name = topic('close');
      await staying.backplane.subscribe(name);
      await leaving.backplane.join(name, { clientId: 'carol', data: 1 });
      await staying.backplane.join(name, { clientId: 'dave', data: 2 });
      await leaving.backplane.close();
      await staying.events.next(
        (e) => e.type === 'presence' && e.action === 'leave' && e.member.clientId === 'carol',
        'carol leaves',
      );
      expect(await staying.backplane.members(name)).toEqual([{ clientId: 'dave', data: 2 }]);
      await leaving.backplane.close();
    });

    it('refuses topic names that are empty, too long or not strings with WSG_TOPIC_INVALID', async () => {
      const { backplane } = await startNode();
      for (const bad of ['', 'x'.repeat(129), 42 as unknown as string]) {
        await expect(backplane.publish(bad, text('x'), false)).rejects.toMatchObject({
          code: 'WSG_TOPIC_INVALID',
        });
        await expect(backplane.subscribe(bad)).rejects.toMatchObject({ code: 'WSG_TOPIC_INVALID' });
      }
      const longest = 'y'.repeat(128);
      expect((await backplane.publish(longest, text('fits'), false)).offset).toBeGreaterThan(0);
    });

    it('refuses to work before start and after close with WSG_BACKPLANE_UNAVAILABLE', async () => {
      const idle = cluster().node();
      await expect(idle.publish(topic('idle'), text('x'), false)).rejects.toMatchObject({
        code: 'WSG_BACKPLANE_UNAVAILABLE',
      });
      const { backplane } = await startNode();
      await backplane.close();
      await expect(backplane.position(topic('closed'))).rejects.toMatchObject({
        code: 'WSG_BACKPLANE_UNAVAILABLE',
      });
    });
  });
}
