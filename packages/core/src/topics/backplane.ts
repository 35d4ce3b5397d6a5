/**
 * The contract between topics and the transport that carries them between processes.
 *
 * A backplane gives every topic one total order across the cluster: each published message gets
 * the next offset (previous + 1) in the same atomic step that appends it to the topic's history,
 * and every subscribed node receives the messages of a topic in offset order. Live delivery is
 * at-most-once: after a `reconnect` event the layer above compares positions and fills any gap
 * from `history`. An epoch names one unbroken history of a topic; when the history is lost
 * (a restarted store without persistence, expired metadata) the topic gets a new epoch, so a
 * position from before can never be mistaken for one after.
 */

/** Where a subscriber stands in a topic: the last offset it has, in which history. */
export interface TopicPosition {
  readonly offset: number;
  readonly epoch: string;
}

/** One published message, as stored in history and delivered live. */
export interface TopicMessage {
  readonly topic: string;
  readonly offset: number;
  readonly epoch: string;
  /** The application payload; text travels as its UTF-8 bytes with `binary: false`. */
  readonly data: Uint8Array;
  readonly binary: boolean;
  /** Milliseconds since the Unix epoch, by the clock of the node that published. */
  readonly publishedAt: number;
}

export interface HistoryResult {
  /** True when `messages` are exactly the messages after the position asked for. */
  readonly recovered: boolean;
  /** The topic's latest position when the history was read. */
  readonly position: TopicPosition;
  /** The missed messages in offset order; empty when `recovered` is false. */
  readonly messages: readonly TopicMessage[];
}

/** A client present in a topic, with whatever the application attached to it. */
export interface PresenceMember {
  readonly clientId: string;
  readonly data: unknown;
}

export type BackplaneEvent =
  | { readonly type: 'message'; readonly message: TopicMessage }
  | {
      readonly type: 'presence';
      readonly topic: string;
      readonly action: 'join' | 'leave';
      readonly member: PresenceMember;
    }
  /** Live delivery was interrupted and is back: check positions and fill gaps from history. */
  | { readonly type: 'reconnect' }
  /** A `WsgateError` with a catalogue code; a backplane never throws from its own callbacks. */
  | { readonly type: 'error'; readonly error: Error };

export type BackplaneListener = (event: BackplaneEvent) => void;

export interface Backplane {
  /** Connects and starts delivering events (rejects with WSG_BACKPLANE_UNAVAILABLE when it cannot). */
  start(listener: BackplaneListener): Promise<void>;
  /** Assigns the next offset and appends to history atomically, then delivers live to every node subscribed. */
  publish(topic: string, data: Uint8Array, binary: boolean): Promise<TopicPosition>;
  /** This node wants the topic's live messages and presence events. Idempotent. */
  subscribe(topic: string): Promise<void>;
  /** This node no longer wants the topic's events. Idempotent. */
  unsubscribe(topic: string): Promise<void>;
  /** The topic's latest position: offset 0 and a new epoch (kept from then on) for a topic with no message. */
  position(topic: string): Promise<TopicPosition>;
  /** The messages after `since`, in order, or `recovered: false` when history no longer holds all of them or the epoch differs. */
  history(topic: string, since: TopicPosition): Promise<HistoryResult>;
  /** Adds (or updates) a member of the topic's presence and tells subscribed nodes. */
  join(topic: string, member: PresenceMember): Promise<void>;
  /** Removes a member; nothing happens for a client that is not a member. */
  leave(topic: string, clientId: string): Promise<void>;
  /** Every member of the topic, on every node. */
  members(topic: string): Promise<readonly PresenceMember[]>;
  /** Removes this node's members, stops delivery and releases connections. Idempotent. */
  close(): Promise<void>;
}

/** How much of each topic's history a backplane keeps. */
export interface HistoryOptions {
  /** Most messages kept per topic (default 1,000). */
  readonly maxMessages?: number;
  /** Oldest message kept, in milliseconds (default 600,000: 10 minutes). */
  readonly maxAgeMs?: number;
}

export const DEFAULT_HISTORY_MAX_MESSAGES = 1000;
export const DEFAULT_HISTORY_MAX_AGE_MS = 600_000;

/** The history bounds with defaults filled in, checked to be positive whole numbers. */
export function historyLimits(options: HistoryOptions = {}): Required<HistoryOptions> {
  const maxMessages = options.maxMessages ?? DEFAULT_HISTORY_MAX_MESSAGES;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_HISTORY_MAX_AGE_MS;
  for (const [name, value] of [
    ['maxMessages', maxMessages],
    ['maxAgeMs', maxAgeMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`history.${name} must be a positive integer, got ${value}`);
  }
  return { maxMessages, maxAgeMs };
}

/** A new epoch: random, short, and safe inside keys and wire messages (base64url, no ':'). */
export function newEpoch(): string {
  const bytes = new Uint8Array(9);
  globalThis.crypto.getRandomValues(bytes);
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_');
}
