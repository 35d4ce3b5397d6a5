import { WsgateError } from '../errors/wsgate-error.js';
import {
  type Backplane,
  type BackplaneEvent,
  type BackplaneListener,
  type HistoryOptions,
  type HistoryResult,
  historyLimits,
  newEpoch,
  type PresenceMember,
  type TopicMessage,
  type TopicPosition,
} from './backplane.js';
import { assertTopicName } from './topic-name.js';

interface TopicState {
  readonly epoch: string;
  offset: number;
  /** Oldest first; offsets are consecutive, ending at `offset`. */
  history: TopicMessage[];
  readonly members: Map<
    string,
    { readonly member: PresenceMember; readonly node: MemoryBackplane }
  >;
}

/**
 * What several MemoryBackplanes in one process share: pass one hub to each to make them one
 * cluster (several servers in a process, or tests of two nodes). Without one, each backplane
 * has its own.
 */
export class MemoryHub {
  readonly #topics = new Map<string, TopicState>();
  readonly #nodes = new Set<MemoryBackplane>();

  /** @internal */
  topic(name: string): TopicState {
    let state = this.#topics.get(name);
    if (state === undefined) {
      state = { epoch: newEpoch(), offset: 0, history: [], members: new Map() };
      this.#topics.set(name, state);
    }
    return state;
  }

  /** @internal */
  existing(name: string): TopicState | undefined {
    return this.#topics.get(name);
  }

  /** @internal Drops a topic nobody uses whose history is gone: its next message starts a new epoch. */
  release(name: string): void {
    const state = this.#topics.get(name);
    if (state === undefined || state.history.length > 0 || state.members.size > 0) return;
    for (const node of this.#nodes) if (node.isSubscribed(name)) return;
    this.#topics.delete(name);
  }

  /** @internal */
  attach(node: MemoryBackplane): void {
    this.#nodes.add(node);
  }

  /** @internal */
  detach(node: MemoryBackplane): void {
    this.#nodes.delete(node);
  }

  /** @internal Every started node subscribed to the topic gets the event, in publish order. */
  deliver(topic: string, event: BackplaneEvent): void {
    for (const node of this.#nodes) if (node.isSubscribed(topic)) node.enqueue(event);
  }
}

export interface MemoryBackplaneOptions {
  /** Shares topics with the other backplanes given the same hub (default: a hub of its own). */
  readonly hub?: MemoryHub;
  readonly history?: HistoryOptions;
  /** The clock, in milliseconds since the Unix epoch (default Date.now): tests move it. */
  readonly now?: () => number;
}

/**
 * The embedded backplane: topics, offsets, history, recovery and presence within one process,
 * with no server to run. Events reach the listener asynchronously (in a microtask) and in offset
 * order, as they would from a networked backplane.
 */
export class MemoryBackplane implements Backplane {
  readonly #hub: MemoryHub;
  readonly #limits: Required<HistoryOptions>;
  readonly #now: () => number;
  readonly #subscribed = new Set<string>();
  /** Topics this node has joined members to, for close() to remove them. */
  readonly #joined = new Set<string>();
  #listener: BackplaneListener | undefined;
  #state: 'new' | 'started' | 'closed' = 'new';
  #queue: BackplaneEvent[] = [];
  #draining = false;

  constructor(options: MemoryBackplaneOptions = {}) {
    this.#hub = options.hub ?? new MemoryHub();
    this.#limits = historyLimits(options.history);
    this.#now = options.now ?? Date.now;
  }

  async start(listener: BackplaneListener): Promise<void> {
    if (this.#state === 'closed') throw unavailable('the backplane is closed');
    this.#listener = listener;
    this.#state = 'started';
    this.#hub.attach(this);
  }

  async publish(topic: string, data: Uint8Array, binary: boolean): Promise<TopicPosition> {
    const state = this.#ready(topic, true);
    const message: TopicMessage = {
      topic,
      offset: state.offset + 1,
      epoch: state.epoch,
      data: data.slice(),
      binary,
      publishedAt: this.#now(),
    };
    state.offset = message.offset;
    state.history.push(message);
    this.#trim(state);
    this.#hub.deliver(topic, { type: 'message', message });
    return { offset: message.offset, epoch: message.epoch };
  }

  async subscribe(topic: string): Promise<void> {
    this.#ready(topic, false);
    this.#subscribed.add(topic);
  }

  async unsubscribe(topic: string): Promise<void> {
    this.#ready(topic, false);
    this.#subscribed.delete(topic);
    this.#hub.release(topic);
  }

  async position(topic: string): Promise<TopicPosition> {
    const state = this.#ready(topic, true);
    return { offset: state.offset, epoch: state.epoch };
  }

  async history(topic: string, since: TopicPosition): Promise<HistoryResult> {
    const state = this.#ready(topic, true);
    this.#trim(state);
    const position = { offset: state.offset, epoch: state.epoch };
    const missed = state.offset - since.offset;
    const oldest = state.history[0]?.offset ?? state.offset + 1;
    const recovered =
      since.epoch === state.epoch &&
      Number.isSafeInteger(since.offset) &&
      missed >= 0 &&
      (missed === 0 || oldest <= since.offset + 1);
    if (!recovered) return { recovered, position, messages: [] };
    return { recovered, position, messages: state.history.slice(state.history.length - missed) };
  }

  async join(topic: string, member: PresenceMember): Promise<void> {
    const state = this.#ready(topic, true);
    state.members.set(member.clientId, { member, node: this });
    this.#joined.add(topic);
    this.#hub.deliver(topic, { type: 'presence', topic, action: 'join', member });
  }

  async leave(topic: string, clientId: string): Promise<void> {
    this.#ready(topic, false);
    this.#remove(topic, clientId);
  }

  async members(topic: string): Promise<readonly PresenceMember[]> {
    this.#ready(topic, false);
    const state = this.#hub.existing(topic);
    return state === undefined ? [] : [...state.members.values()].map((entry) => entry.member);
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#subscribed.clear();
    this.#hub.detach(this);
    this.#queue = [];
    for (const [topic, clientId] of this.#ownMembers()) this.#remove(topic, clientId);
  }

  /** @internal */
  isSubscribed(topic: string): boolean {
    return this.#subscribed.has(topic);
  }

  /** @internal Queues an event; one microtask delivers the queue in order. */
  enqueue(event: BackplaneEvent): void {
    this.#queue.push(event);
    if (this.#draining) return;
    this.#draining = true;
    queueMicrotask(() => this.#drain());
  }

  #drain(): void {
    this.#draining = false;
    const events = this.#queue;
    this.#queue = [];
    for (const event of events) {
      if (this.#state !== 'started') return;
      try {
        this.#listener?.(event);
      } catch (error) {
        // The listener's own failure must not stop delivery to the others, nor vanish.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  #ready(topic: string, create: true): TopicState;
  #ready(topic: string, create: false): undefined;
  #ready(topic: string, create: boolean): TopicState | undefined {
    assertTopicName(topic);
    if (this.#state !== 'started')
      throw unavailable(
        this.#state === 'new' ? 'start() was not called' : 'the backplane is closed',
      );
    return create ? this.#hub.topic(topic) : undefined;
  }

  #trim(state: TopicState): void {
    const excess = state.history.length - this.#limits.maxMessages;
    if (excess > 0) state.history.splice(0, excess);
    const oldestKept = this.#now() - this.#limits.maxAgeMs;
    const stale = state.history.findIndex((message) => message.publishedAt >= oldestKept);
    if (stale === -1) state.history = [];
    else if (stale > 0) state.history.splice(0, stale);
  }

  #remove(topic: string, clientId: string): void {
    const entry = this.#hub.existing(topic)?.members.get(clientId);
    if (entry === undefined) return;
    this.#hub.existing(topic)?.members.delete(clientId);
    this.#hub.deliver(topic, { type: 'presence', topic, action: 'leave', member: entry.member });
    this.#hub.release(topic);
  }

  *#ownMembers(): Generator<readonly [string, string]> {
    // Collected first: removing while iterating the hub's maps would skip entries.
    const own: (readonly [string, string])[] = [];
    for (const topic of this.#joined) {
      for (const [clientId, entry] of this.#hub.existing(topic)?.members ?? [])
        if (entry.node === this) own.push([topic, clientId]);
    }
    yield* own;
  }
}

function unavailable(detail: string): WsgateError {
  return new WsgateError('WSG_BACKPLANE_UNAVAILABLE', { detail });
}
