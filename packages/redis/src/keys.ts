/**
 * Where a topic lives in Redis. Every key and the pub/sub channel of one topic share one hash
 * tag, `{…}`, so that on a Redis Cluster they sit in one slot: one script can touch them all
 * atomically, and the sharded channel lives on the same shard. The tag is the topic, percent-
 * encoded: a topic may contain `{` or `}`, which would otherwise end the tag early (and `{}`
 * would hash the whole key, splitting the topic across slots).
 */
export interface TopicKeys {
  /** Hash: `e` the epoch, `o` the latest offset. */
  readonly meta: string;
  /** Stream of the history; entry ID `<offset>-0`. */
  readonly stream: string;
  /** Hash: client ID → member data as JSON. */
  readonly members: string;
  /** Sorted set: client ID → when the member expires (Redis server time, ms). */
  readonly expiries: string;
  /** Pub/sub channel of live messages and presence events. */
  readonly channel: string;
}

export const DEFAULT_KEY_PREFIX = 'wsgate:';

export function topicKeys(prefix: string, topic: string): TopicKeys {
  const base = `${prefix}{${encodeURIComponent(topic)}}`;
  return {
    meta: `${base}:meta`,
    stream: `${base}:history`,
    members: `${base}:members`,
    expiries: `${base}:expiries`,
    channel: `${base}:live`,
  };
}
