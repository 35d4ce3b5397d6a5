import { openWs, waitFor } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import {
  type Backplane,
  type BackplaneListener,
  createServer,
  MemoryBackplane,
  type ServerOptions,
  type TopicMessage,
  type WebSocketConnection,
  type WebSocketServer,
} from '../../src/index.js';
import { MemoryHub } from '../../src/topics/memory-backplane.js';

interface Received {
  readonly topic: string;
  readonly offset: number;
  readonly epoch: string;
  readonly data: string;
}

/** Each message as JSON with its position, so that clients can check order, gaps and duplicates. */
const jsonFrame = (message: TopicMessage): string =>
  JSON.stringify({
    topic: message.topic,
    offset: message.offset,
    epoch: message.epoch,
    data: new TextDecoder().decode(message.data),
  });

interface Node {
  readonly server: WebSocketServer;
  readonly url: string;
  readonly connections: WebSocketConnection[];
}

const servers: WebSocketServer[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  for (const server of servers.splice(0)) await server.close({ timeoutMs: 500 });
});

async function node(options: ServerOptions = {}): Promise<Node> {
  const server = await createServer({
    port: 0,
    heartbeatIntervalMs: 0,
    backplane: new MemoryBackplane(),
    topicFrame: jsonFrame,
    ...options,
  });
  servers.push(server);
  const connections: WebSocketConnection[] = [];
  server.on('connection', (connection) => connections.push(connection));
  return { server, url: `ws://127.0.0.1:${server.address()?.port}/`, connections };
}

/** A client and the server's side of it, with every message it receives. */
async function client(at: Node): Promise<{
  socket: WebSocket;
  connection: WebSocketConnection;
  received: Received[];
}> {
  const before = at.connections.length;
  const socket = await openWs(at.url);
  clients.push(socket);
  const received: Received[] = [];
  socket.on('message', (data) => received.push(JSON.parse(String(data)) as Received));
  await waitFor(() => at.connections.length > before, { what: 'the connection' });
  return { socket, connection: at.connections[before] as WebSocketConnection, received };
}

const offsets = (received: readonly Received[]) => received.map((message) => message.offset);

describe('topics on one server', () => {
  it('delivers every published message to every subscriber, in offset order', async () => {
    const at = await node();
    const a = await client(at);
    const b = await client(at);
    const first = await a.connection.subscribe('news');
    await b.connection.subscribe('news');
    expect(first).toMatchObject({ offset: 0, recovered: false });
    for (let i = 1; i <= 5; i++) await at.server.publish('news', `m${i}`);
    await waitFor(() => a.received.length === 5 && b.received.length === 5);
    expect(offsets(a.received)).toEqual([1, 2, 3, 4, 5]);
    expect(b.received).toEqual(a.received);
    expect(a.received.map((m) => m.data)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('formats and serializes each message once, whatever the number of subscribers', async () => {
    let formatted = 0;
    const at = await node({
      topicFrame: (message) => {
        formatted++;
        return jsonFrame(message);
      },
    });
    const subscribers = [await client(at), await client(at), await client(at), await client(at)];
    const written: (readonly Uint8Array[])[] = [];
    for (const { connection } of subscribers) {
      const sendFrame = connection.sendFrame.bind(connection);
      connection.sendFrame = (message) => {
        written.push(message.parts);
        return sendFrame(message);
      };
      await connection.subscribe('scores');
    }
    await at.server.publish('scores', '1-0');
    await at.server.publish('scores', '2-0');
    await waitFor(() => subscribers.every((s) => s.received.length === 2));
    expect(formatted).toBe(2);
    expect(written).toHaveLength(8);
    expect(new Set(written).size).toBe(2);
  });

  it('closes a subscriber that does not read (1013) without holding back the others', async () => {
    // Uncompressed, so that the fast client (in this process) reads as fast as it is sent.
    const at = await node({
      maxBufferedBytes: 1024 * 1024,
      slowConsumerPolicy: 'close',
      perMessageDeflate: false,
    });
    const fast = await client(at);
    const slow = await client(at);
    await fast.connection.subscribe('firehose');
    await slow.connection.subscribe('firehose');
    // The slow client stops reading: its socket fills, then the server's buffer.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const closed = new Promise<string | undefined>((resolve) =>
      slow.connection.once('close', (_code, _reason, error) => resolve(error?.code)),
    );
    const big = 'x'.repeat(16 * 1024);
    const count = 1000;
    for (let i = 0; i < count; i++) {
      await at.server.publish('firehose', big);
      // Lets the sockets move, as a server between messages would.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => fast.received.length === count, { timeoutMs: 10_000 });
    expect(offsets(fast.received)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(slow.connection.readyState).toBeGreaterThanOrEqual(2);
    slow.socket.terminate();
    expect(await closed).toBe('WSG_SEND_BUFFER_FULL');
  });

  it('stops delivery after unsubscribe and lists the connection topics', async () => {
    const at = await node();
    const a = await client(at);
    await a.connection.subscribe('one');
    await a.connection.subscribe('two');
    expect([...a.connection.topics].sort()).toEqual(['one', 'two']);
    await a.connection.unsubscribe('one');
    expect([...a.connection.topics]).toEqual(['two']);
    await at.server.publish('one', 'not for a');
    await at.server.publish('two', 'for a');
    await waitFor(() => a.received.length === 1);
    expect(a.received[0]).toMatchObject({ topic: 'two', data: 'for a' });
  });

  it('refuses an invalid topic with WSG_TOPIC_INVALID', async () => {
    const at = await node();
    const a = await client(at);
    await expect(a.connection.subscribe('')).rejects.toMatchObject({ code: 'WSG_TOPIC_INVALID' });
    await expect(at.server.publish('x'.repeat(129), 'y')).rejects.toMatchObject({
      code: 'WSG_TOPIC_INVALID',
    });
  });
});

describe('recovery', () => {
  it('replays exactly the missed messages in order before live ones, with no gap and no duplicate, while publishers keep publishing', async () => {
    const at = await node();
    const first = await client(at);
    await first.connection.subscribe('ticks');
    for (let i = 1; i <= 10; i++) await at.server.publish('ticks', `t${i}`);
    await waitFor(() => first.received.length === 10);
    const seen = first.received.at(3) as Received;
    first.socket.terminate();

    const again = await client(at);
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await at.server.publish('ticks', 'live');
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const subscribed = await again.connection.subscribe('ticks', {
      since: { offset: seen.offset, epoch: seen.epoch },
    });
    expect(subscribed.recovered).toBe(true);
    await waitFor(() => again.received.length >= subscribed.offset - seen.offset + 20);
    publishing = false;
    await publisher;
    const got = offsets(again.received);
    expect(got[0]).toBe(5);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i + 5));
  });

  it('sends nothing of a recovery when the connection unsubscribes before it goes out', async () => {
    const at = await node();
    const a = await client(at);
    const live = await a.connection.subscribe('r');
    for (let i = 1; i <= 3; i++) await at.server.publish('r', `${i}`);
    await waitFor(() => a.received.length === 3);
    const b = await client(at);
    await b.connection.subscribe('r', { since: { offset: 0, epoch: live.epoch } });
    await b.connection.unsubscribe('r');
    await b.connection.subscribe('marker');
    await at.server.publish('marker', 'm');
    await waitFor(() => b.received.length === 1);
    expect(b.received.map((m) => m.topic)).toEqual(['marker']);
  });

  it('answers recovered: false for another epoch or an offset history no longer has, then sends live ones only', async () => {
    const at = await node({ backplane: new MemoryBackplane({ history: { maxMessages: 3 } }) });
    const a = await client(at);
    const live = await a.connection.subscribe('t');
    for (let i = 1; i <= 6; i++) await at.server.publish('t', `${i}`);
    await waitFor(() => a.received.length === 6);
    const stale = await a.connection.subscribe('t', { since: { offset: 1, epoch: live.epoch } });
    expect(stale).toMatchObject({ recovered: false, offset: 6 });
    const otherEpoch = await a.connection.subscribe('t', { since: { offset: 6, epoch: 'old' } });
    expect(otherEpoch.recovered).toBe(false);
    await at.server.publish('t', '7');
    await waitFor(() => a.received.some((m) => m.offset === 7));
    expect(a.received.filter((m) => m.offset <= 6).length).toBe(6);
  });
});

/** A MemoryBackplane whose live delivery can be cut, as a network outage would, then reported back. */
class FlakyBackplane implements Backplane {
  readonly inner: MemoryBackplane;
  listener: BackplaneListener | undefined;
  cut = false;
  constructor(hub: MemoryHub) {
    this.inner = new MemoryBackplane({ hub });
  }
  start(listener: BackplaneListener) {
    this.listener = listener;
    return this.inner.start((event) => {
      if (!(this.cut && event.type === 'message')) listener(event);
    });
  }
  reconnect() {
    this.cut = false;
    this.listener?.({ type: 'reconnect' });
  }
  publish(topic: string, data: Uint8Array, binary: boolean) {
    return this.inner.publish(topic, data, binary);
  }
  subscribe(topic: string) {
    return this.inner.subscribe(topic);
  }
  unsubscribe(topic: string) {
    return this.inner.unsubscribe(topic);
  }
  position(topic: string) {
    return this.inner.position(topic);
  }
  history(...args: Parameters<Backplane['history']>) {
    return this.inner.history(...args);
  }
  join(...args: Parameters<Backplane['join']>) {
    return this.inner.join(...args);
  }
  /** Runs while a member leaves: what other nodes do during that round trip to the backplane. */
  duringLeave: (() => Promise<unknown>) | undefined;
  async leave(topic: string, clientId: string) {
    await this.duringLeave?.();
    return this.inner.leave(topic, clientId);
  }
  members(topic: string) {
    return this.inner.members(topic);
  }
  close() {
    return this.inner.close();
  }
}

describe('two servers on one backplane cluster', () => {
  it('subscribing again (new presence data) misses nothing published meanwhile and repeats nothing', async () => {
    const hub = new MemoryHub();
    const flaky = new FlakyBackplane(hub);
    const at = await node({ backplane: flaky });
    const other = await node({ backplane: new MemoryBackplane({ hub }) });
    const a = await client(at);
    await a.connection.subscribe('room', { presence: 'Ada' });
    for (let i = 1; i <= 3; i++) await other.server.publish('room', `m${i}`);
    await waitFor(() => a.received.length === 3);
    // Another node publishes while the old subscription's member leaves.
    flaky.duringLeave = () => other.server.publish('room', 'm4');
    await a.connection.subscribe('room', { presence: 'Bea' });
    flaky.duringLeave = undefined;
    await other.server.publish('room', 'm5');
    await waitFor(() => a.received.some((m) => m.offset === 5));
    expect(offsets(a.received)).toEqual([1, 2, 3, 4, 5]);
    expect((await at.server.presence('room')).map((member) => member.data)).toEqual(['Bea']);
  });
  it('fans out across nodes and shares presence, joined and left', async () => {
    const hub = new MemoryHub();
    const one = await node({ backplane: new MemoryBackplane({ hub }) });
    const two = await node({ backplane: new MemoryBackplane({ hub }) });
    const a = await client(one);
    const b = await client(two);
    const joins: string[] = [];
    one.server.on('presence', (event) =>
      joins.push(`${event.action} ${String(event.member.data)}`),
    );
    await a.connection.subscribe('room', { presence: 'ada' });
    await b.connection.subscribe('room', { presence: 'bob' });
    const names = (await one.server.presence('room')).map((m) => m.data).sort();
    expect(names).toEqual(['ada', 'bob']);
    await two.server.publish('room', 'hi');
    await one.server.publish('room', 'hello');
    await waitFor(() => a.received.length === 2 && b.received.length === 2);
    expect(a.received).toEqual(b.received);
    b.socket.terminate();
    await waitFor(() => joins.includes('leave bob'));
    expect((await one.server.presence('room')).map((m) => m.data)).toEqual(['ada']);
  });

  it('fills a gap in live delivery from history after the backplane reconnects', async () => {
    const hub = new MemoryHub();
    const flaky = new FlakyBackplane(hub);
    const one = await node({ backplane: flaky });
    const two = await node({ backplane: new MemoryBackplane({ hub }) });
    const a = await client(one);
    await a.connection.subscribe('feed');
    await two.server.publish('feed', '1');
    await waitFor(() => a.received.length === 1);
    flaky.cut = true;
    await two.server.publish('feed', '2');
    await two.server.publish('feed', '3');
    flaky.reconnect();
    await two.server.publish('feed', '4');
    await waitFor(() => a.received.length === 4);
    expect(offsets(a.received)).toEqual([1, 2, 3, 4]);
  });

  it('after the backplane lost a topic history (new epoch), delivers the new epoch whole, in order, with a gap event', async () => {
    const hub = new MemoryHub();
    const flaky = new FlakyBackplane(hub);
    const one = await node({ backplane: flaky });
    const two = await node({ backplane: new MemoryBackplane({ hub }) });
    const a = await client(one);
    await a.connection.subscribe('feed');
    await two.server.publish('feed', 'old');
    await waitFor(() => a.received.length === 1);
    const gaps: unknown[] = [];
    one.server.on('gap', (gap) => gaps.push(gap));
    flaky.cut = true;
    // What a restarted Redis does to a topic: its history and offsets are gone.
    Object.assign(hub.existing('feed') as object, { epoch: 'restarted', offset: 0, history: [] });
    await two.server.publish('feed', 'new 1');
    await two.server.publish('feed', 'new 2');
    flaky.reconnect();
    await two.server.publish('feed', 'new 3');
    await waitFor(() => a.received.length === 4);
    expect(a.received.map((m) => [m.epoch === 'restarted', m.offset, m.data])).toEqual([
      [false, 1, 'old'],
      [true, 1, 'new 1'],
      [true, 2, 'new 2'],
      [true, 3, 'new 3'],
    ]);
    expect(gaps).toMatchObject([{ topic: 'feed', after: { offset: 1 }, resumed: { offset: 1 } }]);
  });

  it('reports a gap history cannot fill, then delivers what comes', async () => {
    const hub = new MemoryHub();
    const flaky = new FlakyBackplane(hub);
    const one = await node({ backplane: flaky });
    const two = await node({
      backplane: new MemoryBackplane({ hub, history: { maxMessages: 1 } }),
    });
    const a = await client(one);
    await a.connection.subscribe('feed');
    await two.server.publish('feed', '1');
    await waitFor(() => a.received.length === 1);
    flaky.cut = true;
    for (let i = 2; i <= 4; i++) await two.server.publish('feed', `${i}`);
    const gaps: unknown[] = [];
    one.server.on('gap', (gap) => gaps.push(gap));
    flaky.reconnect();
    await waitFor(() => gaps.length === 1);
    expect(gaps[0]).toMatchObject({ topic: 'feed', after: { offset: 1 } });
    await two.server.publish('feed', '5');
    await waitFor(() => a.received.length === 2);
    expect(offsets(a.received)).toEqual([1, 5]);
  });
});
