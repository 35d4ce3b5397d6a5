import type {
  Backplane,
  BackplaneEvent,
  BackplaneListener,
  HistoryOptions,
  HistoryResult,
  PresenceMember,
  TopicMessage,
  TopicPosition,
  WsgateError,
} from '@wsgate/core';
import { assertTopicName, historyLimits, newEpoch } from '@wsgate/core/adapter';
import type { RedisClientOptions, RedisClusterOptions } from 'redis';
import { ClusterLink } from './cluster-link.js';
import { decodeLive, parseData } from './envelope.js';
import { DEFAULT_KEY_PREFIX, type TopicKeys, topicKeys } from './keys.js';
import { type Link, RedisLink, unavailable } from './redis-link.js';
import {
  historyScript,
  leaveScript,
  membersScript,
  publishScript,
  refreshMembersScript,
  type Script,
} from './scripts.js';

export interface RedisBackplaneOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://` (default redis://127.0.0.1:6379). */
  readonly url?: string;
  /** More node-redis client options (socket, TLS, credentials); `url` above wins over theirs. */
  readonly client?: RedisClientOptions;
  /**
   * A Redis Cluster instead of one server: node-redis's `createCluster` options, such as
   * `{ rootNodes: [{ url: 'redis://10.0.0.1:6379' }], defaults: { password } }`. Live delivery
   * then always uses sharded pub/sub. Not together with `url` or `client`.
   */
  readonly cluster?: RedisClusterOptions;
  /** Prefix of every key and channel (default `wsgate:`): several apps can share one Redis. */
  readonly keyPrefix?: string;
  readonly history?: HistoryOptions;
  /** How long a member outlives its node's last refresh: a crashed node's members leave after this (default 30 s). */
  readonly presenceTtlMs?: number;
  /** How long a topic's epoch and offset outlive its last use (default 24 h); then it starts a new epoch. */
  readonly topicTtlMs?: number;
  /**
   * Live delivery with SPUBLISH/SSUBSCRIBE (Redis 7 sharded pub/sub) instead of PUBLISH/SUBSCRIBE;
   * always on with `cluster`.
   */
  readonly shardedPubSub?: boolean;
  /** How long an operation waits for Redis's answer before it rejects (default 5 s). */
  readonly commandTimeoutMs?: number;
  /** The clock for publishedAt and the age of history (default Date.now). */
  readonly now?: () => number;
}

const DEFAULT_PRESENCE_TTL_MS = 30_000;
const DEFAULT_TOPIC_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/**
 * A Backplane over Redis: every process given the same Redis (and key prefix) is one cluster.
 * Offsets, history and presence live in Redis and change only inside Lua scripts (scripts.ts),
 * so each topic has one order; live messages arrive over pub/sub on a second connection.
 * When Redis goes away, operations reject with WSG_BACKPLANE_UNAVAILABLE and one `error` event
 * reports the outage; both connections come back by themselves, the subscriber resubscribes, and
 * a `reconnect` event tells the layer above to fill gaps from history.
 */
export class RedisBackplane implements Backplane {
  readonly #options: RedisBackplaneOptions;
  readonly #prefix: string;
  readonly #limits: Required<HistoryOptions>;
  readonly #presenceTtlMs: number;
  readonly #topicTtlMs: number;
  readonly #publishCommand: 'PUBLISH' | 'SPUBLISH';
  readonly #commandTimeoutMs: number;
  readonly #now: () => number;
  /** channel → topic, for the topics this node is subscribed to. */
  readonly #channels = new Map<string, string>();
  /**
   * Subscribed topics where this node has seen members: it sweeps their expired members (with
   * leave events) on each refresh. Topics without presence cost no script.
   */
  readonly #watchedPresence = new Set<string>();
  /** topic → client ID → data JSON, of the members this node joined: refreshed until they leave. */
  readonly #joined = new Map<string, Map<string, string>>();
  #state: 'new' | 'starting' | 'started' | 'closed' = 'new';
  #link: Link | undefined;
  #listener: BackplaneListener = () => {};
  #refreshTimer: NodeJS.Timeout | undefined;

  constructor(options: RedisBackplaneOptions = {}) {
    this.#options = options;
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#limits = historyLimits(options.history);
    this.#presenceTtlMs = positive(
      'presenceTtlMs',
      options.presenceTtlMs ?? DEFAULT_PRESENCE_TTL_MS,
    );
    this.#topicTtlMs = Math.max(
      positive('topicTtlMs', options.topicTtlMs ?? DEFAULT_TOPIC_TTL_MS),
      this.#limits.maxAgeMs,
    );
    if (options.cluster !== undefined) {
      if (options.url !== undefined || options.client !== undefined)
        throw new TypeError(
          'RedisBackplane: give either `cluster` (a Redis Cluster) or `url`/`client` (one Redis server), not both',
        );
      if (options.shardedPubSub === false)
        throw new TypeError(
          'RedisBackplane: a Redis Cluster needs sharded pub/sub, so that each topic lives on one shard; leave shardedPubSub out',
        );
    }
    this.#publishCommand =
      options.shardedPubSub === true || options.cluster !== undefined ? 'SPUBLISH' : 'PUBLISH';
    this.#commandTimeoutMs = positive(
      'commandTimeoutMs',
      options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    );
    this.#now = options.now ?? Date.now;
  }

  async start(listener: BackplaneListener): Promise<void> {
    if (this.#state !== 'new') throw unavailable(`start() was already called (${this.#state})`);
    this.#state = 'starting';
    this.#listener = listener;
    const events = {
      live: (channel: string, raw: Buffer) => this.#onLive(channel, raw),
      lost: (error: WsgateError) => this.#emit({ type: 'error', error }),
      resubscribed: () => this.#emit({ type: 'reconnect' }),
      // A restarted Redis lost the members: put this node's back at once.
      commandsBack: () => this.#refreshAll(),
    };
    const { cluster } = this.#options;
    const link: Link =
      cluster === undefined
        ? new RedisLink(
            {
              url: this.#options.url ?? this.#options.client?.url ?? 'redis://127.0.0.1:6379',
              client: this.#options.client,
              commandTimeoutMs: this.#commandTimeoutMs,
              sharded: this.#publishCommand === 'SPUBLISH',
            },
            events,
          )
        : new ClusterLink({ cluster, commandTimeoutMs: this.#commandTimeoutMs }, events);
    try {
      await link.connect();
    } catch (error) {
      this.#state = 'closed';
      throw error;
    }
    this.#link = link;
    this.#state = 'started';
    // A third of the TTL: a member survives two missed refreshes before it expires.
    this.#refreshTimer = setInterval(() => this.#refreshAll(), this.#presenceTtlMs / 3);
    this.#refreshTimer.unref();
  }

  async publish(topic: string, data: Uint8Array, binary: boolean): Promise<TopicPosition> {
    const keys = this.#keys(topic);
    const reply = (await this.#ready().run(
      publishScript,
      [keys.meta, keys.stream],
      [
        newEpoch(),
        // A copy: the caller may reuse its buffer before the command is written.
        Buffer.from(data),
        binary ? '1' : '0',
        String(Math.round(this.#now())),
        String(this.#limits.maxMessages),
        String(this.#limits.maxAgeMs),
        String(this.#topicTtlMs),
        keys.channel,
        this.#publishCommand,
      ],
    )) as [number, Buffer];
    return { offset: reply[0], epoch: reply[1].toString('latin1') };
  }

  async subscribe(topic: string): Promise<void> {
    const { channel } = this.#keys(topic);
    if (this.#channels.get(channel) === topic) return;
    this.#channels.set(channel, topic);
    try {
      await this.#ready().subscribe(channel);
    } catch (error) {
      this.#channels.delete(channel);
      throw error;
    }
  }

  async unsubscribe(topic: string): Promise<void> {
    const { channel } = this.#keys(topic);
    if (!this.#channels.delete(channel)) return;
    this.#watchedPresence.delete(topic);
    await this.#ready().unsubscribe(channel);
  }

  async position(topic: string): Promise<TopicPosition> {
    const keys = this.#keys(topic);
    const [offset, epoch] = (await this.#ready().run(
      historyScript,
      [keys.meta, keys.stream],
      [newEpoch(), String(this.#topicTtlMs), '', ''],
    )) as [number, Buffer, unknown];
    return { offset, epoch: epoch.toString('latin1') };
  }

  async history(topic: string, since: TopicPosition): Promise<HistoryResult> {
    const keys = this.#keys(topic);
    const valid = Number.isSafeInteger(since.offset) && since.offset >= 0;
    const [offset, rawEpoch, entries] = (await this.#ready().run(
      historyScript,
      [keys.meta, keys.stream],
      [
        newEpoch(),
        String(this.#topicTtlMs),
        valid ? String(since.offset) : '',
        valid ? since.epoch : '',
      ],
    )) as [number, Buffer, [Buffer, Buffer[]][]];
    const position = { offset, epoch: rawEpoch.toString('latin1') };
    const missed = offset - since.offset;
    const messages = entries.map((entry) => toMessage(topic, position.epoch, entry));
    const oldestKept = this.#now() - this.#limits.maxAgeMs;
    const recovered =
      valid &&
      since.epoch === position.epoch &&
      missed >= 0 &&
      messages.length === missed &&
      (missed === 0 || messages[0]?.offset === since.offset + 1) &&
      messages.every((m) => m.publishedAt >= oldestKept);
    return recovered ? { recovered, position, messages } : { recovered, position, messages: [] };
  }

  async join(topic: string, member: PresenceMember): Promise<void> {
    const keys = this.#keys(topic);
    const json = JSON.stringify(member.data) ?? 'null';
    await this.#presence(refreshMembersScript, keys, [
      String(this.#presenceTtlMs),
      '1',
      member.clientId,
      json,
    ]);
    const own = this.#joined.get(topic) ?? new Map<string, string>();
    own.set(member.clientId, json);
    this.#joined.set(topic, own);
  }

  async leave(topic: string, clientId: string): Promise<void> {
    const keys = this.#keys(topic);
    const own = this.#joined.get(topic);
    own?.delete(clientId);
    if (own?.size === 0) this.#joined.delete(topic);
    await this.#presence(leaveScript, keys, [clientId]);
  }

  async members(topic: string): Promise<readonly PresenceMember[]> {
    const keys = this.#keys(topic);
    const flat = (await this.#presence(membersScript, keys, [])) as Buffer[];
    if (flat.length > 0 && this.#channels.get(keys.channel) === topic)
      this.#watchedPresence.add(topic);
    const members: PresenceMember[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      members.push({
        clientId: flat[i]?.toString('utf8') ?? '',
        data: parseData(flat[i + 1]?.toString('utf8') ?? 'null'),
      });
    }
    return members;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'new') {
      this.#state = 'closed';
      return;
    }
    clearInterval(this.#refreshTimer);
    const leaving = [...this.#joined].flatMap(([topic, own]) =>
      [...own.keys()].map((clientId) => this.leave(topic, clientId).catch(() => {})),
    );
    await Promise.all(leaving);
    this.#state = 'closed';
    this.#channels.clear();
    this.#watchedPresence.clear();
    await this.#link?.close();
  }

  #keys(topic: string): TopicKeys {
    assertTopicName(topic);
    if (this.#state !== 'started')
      throw unavailable(
        this.#state === 'closed' ? 'the backplane is closed' : 'start() was not called',
      );
    return topicKeys(this.#prefix, topic);
  }

  #ready(): Link {
    if (this.#link === undefined || this.#state !== 'started')
      throw unavailable('the backplane is not started');
    return this.#link;
  }

  async #presence(script: Script, keys: TopicKeys, args: string[]): Promise<unknown> {
    return await this.#ready().run(
      script,
      [keys.members, keys.expiries],
      [keys.channel, this.#publishCommand, ...args],
    );
  }

  #onLive(channel: string, raw: Buffer): void {
    const topic = this.#channels.get(channel);
    if (topic === undefined || this.#state !== 'started') return;
    const event = decodeLive(topic, raw);
    if (event?.type === 'presence' && event.action === 'join') this.#watchedPresence.add(topic);
    if (event !== undefined) this.#emit(event);
  }

  #refreshAll(): void {
    const ttl = String(this.#presenceTtlMs);
    const topics = new Set([...this.#joined.keys(), ...this.#watchedPresence]);
    for (const topic of topics) {
      const own = [...(this.#joined.get(topic) ?? [])].flat();
      this.#presence(refreshMembersScript, topicKeys(this.#prefix, topic), [
        ttl,
        '0',
        ...own,
      ]).catch(
        // The outage was reported by the connection's error event; the next refresh retries.
        () => {},
      );
    }
  }

  #emit(event: BackplaneEvent): void {
    try {
      this.#listener(event);
    } catch (error) {
      // The listener's own failure must surface, but not inside node-redis's callbacks.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

function toMessage(topic: string, epoch: string, [id, fields]: [Buffer, Buffer[]]): TopicMessage {
  const values = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2)
    values.set(fields[i]?.toString('latin1') ?? '', fields[i + 1] ?? Buffer.alloc(0));
  return {
    topic,
    offset: Number.parseInt(id.toString('latin1'), 10),
    epoch,
    data: new Uint8Array(values.get('d') ?? Buffer.alloc(0)),
    binary: values.get('b')?.toString('latin1') === '1',
    publishedAt: Number(values.get('t')?.toString('latin1')),
  };
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
