import { randomUUID } from 'node:crypto';
import type { WebSocketConnection } from '../node/connection.js';
import { topicRecovery } from '../observability/hooks.js';
import { topicTotals } from '../observability/traffic-totals.js';
import type { SharedMessage } from '../protocol/shared-message.js';
import type {
  Backplane,
  BackplaneEvent,
  PresenceMember,
  TopicMessage,
  TopicPosition,
} from './backplane.js';
import { type BackplaneClient, type BackplaneNode, backplaneNode } from './backplane-node.js';
import { encode, type TopicFrame } from './topic-frame.js';
import { assertTopicName } from './topic-name.js';

export type { TopicFrame } from './topic-frame.js';

export interface SubscribeOptions {
  /** The position the client had: the messages after it are sent first, when history has them all. */
  readonly since?: TopicPosition | undefined;
  /** Joins the topic's presence with this data (JSON-serializable) until unsubscribe or close. */
  readonly presence?: unknown;
}

export interface Subscribed extends TopicPosition {
  /** True when every message after `since` is sent before the live ones; false without `since`. */
  readonly recovered: boolean;
}

export interface PublishOptions {
  /** Send as binary (default for bytes) or text (default for strings). */
  readonly binary?: boolean;
}

/**
 * Live delivery of a topic missed messages that history no longer holds (after a backplane
 * outage, or a new epoch): subscribers got what came next, and should resynchronize.
 */
export interface TopicGap {
  readonly topic: string;
  /** The last position delivered before the gap. */
  readonly after: TopicPosition;
  /** The first message delivered after it. */
  readonly resumed: TopicPosition | undefined;
}

export interface PresenceEvent {
  readonly topic: string;
  readonly action: 'join' | 'leave';
  readonly member: PresenceMember;
}

export interface TopicHubEvents {
  gap(gap: TopicGap): void;
  presence(event: PresenceEvent): void;
}

interface Subscription {
  /** Until live: the messages received meanwhile, delivered once history has been. */
  buffer: TopicMessage[] | undefined;
  epoch: string;
  /** The last offset delivered to this subscriber. */
  offset: number;
  clientId: string | undefined;
}

interface LocalTopic {
  readonly subscribers: Map<WebSocketConnection, Subscription>;
  /** The last message delivered live on this server; undefined before the first one, or after a gap. */
  last: TopicPosition | undefined;
  /** While a gap is filled from history: the live messages that arrived meanwhile. */
  filling: TopicMessage[] | undefined;
}

const encoder = new TextEncoder();
const NO_TOPICS: ReadonlySet<string> = new Set();

/**
 * The topics of one server: its connections' subscriptions, fed by the backplane. Each message
 * is formatted and serialized once and written to every subscriber; a subscriber that does not
 * read meets its own slow-consumer policy and delays nobody.
 */
export class TopicHub implements BackplaneClient {
  readonly #backplaneOption: Backplane | undefined;
  #node: BackplaneNode | undefined;
  readonly #format: TopicFrame | undefined;
  readonly #events: TopicHubEvents;
  readonly #topics = new Map<string, LocalTopic>();
  readonly #byConnection = new Map<WebSocketConnection, Map<string, Subscription>>();
  readonly #onClose: (this: WebSocketConnection) => void;
  /** Frames of messages still referenced (by subscribers' buffers, by history being replayed). */
  readonly #frames = new WeakMap<TopicMessage, SharedMessage>();

  constructor(
    backplane: Backplane | undefined,
    format: TopicFrame | undefined,
    events: TopicHubEvents,
    defaultBackplane: () => Backplane,
  ) {
    this.#backplaneOption = backplane;
    this.#format = format;
    this.#events = events;
    const hub = this;
    this.#onClose = function topicSubscriberClosed(this: WebSocketConnection) {
      hub.unsubscribeAll(this);
    };
    this.#defaultBackplane = defaultBackplane;
  }

  readonly #defaultBackplane: () => Backplane;

  /** The node of this server's backplane, attached on first use (a server that never uses topics costs nothing). */
  get node(): BackplaneNode {
    if (this.#node === undefined) {
      this.#node = backplaneNode(this.#backplaneOption ?? this.#defaultBackplane());
      this.#node.attach(this);
    }
    return this.#node;
  }

  topicsOf(connection: WebSocketConnection): ReadonlySet<string> {
    const topics = this.#byConnection.get(connection);
    return topics === undefined ? NO_TOPICS : new Set(topics.keys());
  }

  async publish(
    topic: string,
    data: string | Uint8Array,
    options: PublishOptions = {},
  ): Promise<TopicPosition> {
    assertTopicName(topic);
    const node = this.node;
    await node.start();
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    const binary = options.binary ?? typeof data !== 'string';
    topicTotals.publishes++;
    return node.backplane.publish(topic, bytes, binary);
  }

  async presence(topic: string): Promise<readonly PresenceMember[]> {
    assertTopicName(topic);
    const node = this.node;
    await node.start();
    return node.backplane.members(topic);
  }

  /**
   * Subscribes the backplane first (live messages are kept from then on), then reads the
   * position or the history after `since`: history, then the kept messages after it, go out
   * once the returned promise has settled (so that a reply to the subscription goes first).
   */
  async subscribe(
    connection: WebSocketConnection,
    topic: string,
    options: SubscribeOptions = {},
  ): Promise<Subscribed> {
    assertTopicName(topic);
    const previous = this.#byConnection.get(connection)?.get(topic);
    if (previous !== undefined) {
      // Subscribing again (to change its presence data, say) must not lose what is published
      // meanwhile: the new subscription resumes after the last message the old one delivered.
      if (options.since === undefined && previous.epoch !== '')
        options = { ...options, since: { offset: previous.offset, epoch: previous.epoch } };
      await this.unsubscribe(connection, topic);
    }
    const subscription: Subscription = { buffer: [], epoch: '', offset: 0, clientId: undefined };
    this.#add(connection, topic, subscription);
    const node = this.node;
    try {
      await node.subscribe(topic, this);
      const backplane = node.backplane;
      let history: readonly TopicMessage[] = [];
      let recovered = false;
      let position: TopicPosition;
      if (options.since !== undefined) {
        const result = await backplane.history(topic, options.since);
        ({ recovered, position } = result);
        topicRecovery('subscribe', recovered);
        if (recovered) history = result.messages;
      } else {
        position = await backplane.position(topic);
      }
      if ('presence' in options && this.#isCurrent(connection, topic, subscription)) {
        const clientId = randomUUID();
        await backplane.join(topic, { clientId, data: options.presence ?? null });
        subscription.clientId = clientId;
        if (!this.#isCurrent(connection, topic, subscription))
          await backplane.leave(topic, clientId).catch(() => {});
      }
      subscription.epoch = position.epoch;
      subscription.offset = recovered ? (options.since?.offset ?? 0) : position.offset;
      setImmediate(() => this.#goLive(connection, topic, subscription, history));
      return { offset: position.offset, epoch: position.epoch, recovered };
    } catch (error) {
      this.#remove(connection, topic, subscription);
      throw error;
    }
  }

  async unsubscribe(connection: WebSocketConnection, topic: string): Promise<void> {
    assertTopicName(topic);
    const subscription = this.#byConnection.get(connection)?.get(topic);
    if (subscription !== undefined) await this.#remove(connection, topic, subscription);
  }

  /** @internal Called when a subscriber closes. */
  unsubscribeAll(connection: WebSocketConnection): void {
    const topics = this.#byConnection.get(connection);
    if (topics === undefined) return;
    for (const [topic, subscription] of topics) void this.#remove(connection, topic, subscription);
  }

  onBackplaneEvent(event: BackplaneEvent): void {
    if (event.type === 'message') this.#received(event.message);
    else if (event.type === 'presence') this.#events.presence(event);
    else if (event.type === 'reconnect') for (const topic of this.#topics.keys()) this.#fill(topic);
  }

  /** Stops using the backplane (the connections are closed by their server). */
  close(): void {
    for (const connection of [...this.#byConnection.keys()]) this.unsubscribeAll(connection);
    this.#node?.detach(this);
  }

  // --- delivery ---------------------------------------------------------------------------

  #received(message: TopicMessage): void {
    const topic = this.#topics.get(message.topic);
    if (topic === undefined) return;
    for (const subscription of topic.subscribers.values()) subscription.buffer?.push(message);
    if (topic.filling !== undefined) {
      topic.filling.push(message);
      return;
    }
    const last = topic.last;
    if (last !== undefined && last.epoch === message.epoch) {
      if (message.offset <= last.offset) return; // already delivered (history and live overlap)
      if (message.offset > last.offset + 1) {
        // Live delivery lost messages (an outage the backplane has not reported yet).
        void this.#fill(message.topic, message);
        return;
      }
    } else if (last !== undefined) {
      // A new epoch (the backplane lost its history): its earlier messages come from history.
      void this.#fill(message.topic, message);
      return;
    }
    this.#deliver(topic, message);
  }

  #deliver(topic: LocalTopic, message: TopicMessage): void {
    topic.last = { offset: message.offset, epoch: message.epoch };
    for (const [connection, subscription] of topic.subscribers) {
      if (subscription.buffer !== undefined) continue;
      if (subscription.epoch === message.epoch && message.offset <= subscription.offset) continue;
      subscription.epoch = message.epoch;
      subscription.offset = message.offset;
      const frame = this.#frameOf(message);
      if (connection.sendFrame(frame)) topicTotals.deliveries++;
    }
  }

  /** Fills the gap after the topic's last delivered message from history (after a reconnect). */
  async #fill(name: string, first?: TopicMessage): Promise<void> {
    const topic = this.#topics.get(name);
    if (topic === undefined) return;
    const last = topic.last;
    if (last === undefined || topic.filling !== undefined) return;
    topic.filling = first === undefined ? [] : [first];
    const backplane = this.node.backplane;
    const result = await backplane.history(name, last).catch(() => undefined);
    // History was lost (a new epoch): what the new epoch holds is all after the gap, so every
    // node delivers it whole and in order, not just what arrives live after its reconnect.
    const fresh =
      result !== undefined && !result.recovered && result.position.epoch !== last.epoch
        ? await backplane
            .history(name, { offset: 0, epoch: result.position.epoch })
            .catch(() => undefined)
        : undefined;
    const kept = topic.filling ?? [];
    topic.filling = undefined;
    topicRecovery('reconnect', result?.recovered === true);
    if (result?.recovered) {
      for (const message of result.messages) this.#deliver(topic, message);
    } else {
      topic.last = undefined;
      const resumed = fresh?.recovered ? fresh.messages[0] : undefined;
      this.#events.gap({ topic: name, after: last, resumed: resumed ?? kept[0] });
      if (fresh?.recovered) for (const message of fresh.messages) this.#deliver(topic, message);
    }
    for (const message of kept) {
      const current = topic.last;
      if (
        current !== undefined &&
        current.epoch === message.epoch &&
        message.offset <= current.offset
      )
        continue;
      this.#deliver(topic, message);
    }
  }

  #goLive(
    connection: WebSocketConnection,
    topic: string,
    subscription: Subscription,
    history: readonly TopicMessage[],
  ): void {
    // Unsubscribed (or subscribed anew) before its history went out: nothing of it is sent.
    if (!this.#isCurrent(connection, topic, subscription)) return;
    const kept = subscription.buffer ?? [];
    subscription.buffer = undefined;
    for (const message of [...history, ...kept]) {
      if (message.epoch === subscription.epoch && message.offset <= subscription.offset) continue;
      subscription.epoch = message.epoch;
      subscription.offset = message.offset;
      const frame = this.#frameOf(message);
      if (connection.sendFrame(frame)) topicTotals.deliveries++;
    }
  }

  /** The message's frame, serialized once however many subscribers go live with it. */
  #frameOf(message: TopicMessage): SharedMessage {
    let frame = this.#frames.get(message);
    if (frame === undefined) {
      frame = encode(message, this.#format);
      this.#frames.set(message, frame);
    }
    return frame;
  }

  // --- bookkeeping ------------------------------------------------------------------------

  #add(connection: WebSocketConnection, name: string, subscription: Subscription): void {
    let topic = this.#topics.get(name);
    if (topic === undefined) {
      topic = { subscribers: new Map(), last: undefined, filling: undefined };
      this.#topics.set(name, topic);
    }
    if (!topic.subscribers.has(connection)) topicTotals.subscriptions++;
    topic.subscribers.set(connection, subscription);
    let topics = this.#byConnection.get(connection);
    if (topics === undefined) {
      topics = new Map();
      this.#byConnection.set(connection, topics);
      connection.once('close', this.#onClose);
    }
    topics.set(name, subscription);
  }

  #isCurrent(connection: WebSocketConnection, name: string, subscription: Subscription): boolean {
    return this.#byConnection.get(connection)?.get(name) === subscription;
  }

  async #remove(
    connection: WebSocketConnection,
    name: string,
    subscription: Subscription,
  ): Promise<void> {
    if (!this.#isCurrent(connection, name, subscription)) return;
    const topics = this.#byConnection.get(connection);
    topics?.delete(name);
    if (topics?.size === 0) {
      this.#byConnection.delete(connection);
      connection.off('close', this.#onClose);
    }
    const topic = this.#topics.get(name);
    if (topic?.subscribers.delete(connection)) topicTotals.subscriptions--;
    const node = this.node;
    const leaving =
      subscription.clientId === undefined
        ? undefined
        : node.backplane.leave(name, subscription.clientId).catch(() => {});
    if (topic !== undefined && topic.subscribers.size === 0) {
      this.#topics.delete(name);
      await node.unsubscribe(name, this);
    }
    await leaving;
  }
}
