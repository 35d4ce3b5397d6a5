import { isUtf8 } from 'node:buffer';
import type { LogEvent } from '../errors/log-event.js';
import type { WsgateError } from '../errors/wsgate-error.js';
import type { TrafficTotals } from '../observability/traffic-totals.js';
import type { Allocate } from '../protocol/frame-serializer.js';
import type { SessionCompression } from '../protocol/message-codec.js';
import type { SessionOptions } from '../protocol/session.js';
import type { TopicHub } from '../topics/topic-hub.js';
import { type MonotonicClock, monotonicClock } from './rate-limit.js';
import type { SendBudget } from './send-budget.js';

// What a connection is configured with, and the settings a server resolves once for all of its
// connections; the connection itself is in connection.ts.

export const ReadyState = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

/** What to do when a peer does not read and `maxBufferedBytes` would be exceeded. */
export type SlowConsumerPolicy = 'wait' | 'drop' | 'close';

export interface ConnectionLimits {
  /** Largest message accepted (close 1009 beyond). */
  readonly maxMessageBytes?: number | undefined;
  /** How long to wait for the peer's close frame or TCP close after ours. */
  readonly closeTimeoutMs?: number | undefined;
  /** Close with 1001 after this long without receiving anything; 0 turns it off. */
  readonly idleTimeoutMs?: number | undefined;
  /**
   * Close with 1008 beyond this many messages in one second; 0 turns it off. A token bucket:
   * bursts up to the rate, refilled continuously, so a burst straddling a second gets no more.
   */
  readonly maxMessagesPerSecond?: number | undefined;
  /** The monotonic clock the rate limit reads (`performance.now`); tests pass their own. */
  readonly clock?: MonotonicClock | undefined;
  /**
   * Cap on bytes waiting to be written to a peer that does not read (16 MiB by default). A
   * message larger than the cap still goes when nothing else waits.
   */
  readonly maxBufferedBytes?: number | undefined;
  /**
   * What `send` does at the cap: close with 1013 (default: memory stays bounded whatever the
   * application does), drop the message (a `drop` event), or "wait": keep queueing past the cap,
   * for applications that await `drained()` whenever `send` returns false.
   */
  readonly slowConsumerPolicy?: SlowConsumerPolicy | undefined;
}

export interface ConnectionOptions extends ConnectionLimits {
  readonly side: 'server' | 'client';
  readonly subprotocol?: string | undefined;
  readonly extensions?: string | undefined;
  readonly compression?: SessionCompression | undefined;
  /** Deliver text messages as strings (default) or as Buffers. */
  readonly textAs?: 'string' | 'buffer' | undefined;
  readonly autoPong?: boolean | undefined;
  readonly log?: ((event: LogEvent) => void) | undefined;
}

export interface SendOptions {
  /** Send as binary (default for bytes) or text (default for strings). */
  readonly binary?: boolean;
}

export type MessageData = string | Buffer;

export interface ConnectionEvents {
  message: [data: MessageData, isBinary: boolean];
  close: [code: number, reason: string, error: WsgateError | undefined];
  error: [error: Error];
  ping: [payload: Buffer];
  pong: [payload: Buffer];
  drain: [];
  drop: [bytes: number];
}

export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/**
 * What a connection needs of its options, defaults applied. A server resolves them once and
 * shares them between its connections and their sessions (memory per idle connection); not part of any entry point.
 */
export interface ConnectionSettings extends SessionOptions {
  readonly allocate: Allocate;
  readonly textAsString: boolean;
  readonly closeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxMessagesPerSecond: number;
  readonly clock: MonotonicClock;
  readonly maxBufferedBytes: number;
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  /** A server's budget for the queues of all its connections (see SendBudget). */
  readonly sendBudget: SendBudget | undefined;
  readonly log: ((event: LogEvent) => void) | undefined;
  /** The topics of the server that accepted the connection (none for a connection made alone). */
  readonly topics?: TopicHub | undefined;
  /** The running totals a server's connections add to (observability/traffic-totals.ts). */
  readonly traffic?: TrafficTotals | undefined;
}

/** The settings of `options` (all but its subprotocol, extensions and compression); not part of any entry point. */
export function resolveConnectionSettings(
  options: ConnectionOptions,
  sendBudget?: SendBudget,
): ConnectionSettings {
  return {
    side: options.side,
    maxMessageBytes: options.maxMessageBytes,
    autoPong: options.autoPong,
    allocate: Buffer.allocUnsafe,
    allocateMessage: Buffer.allocUnsafeSlow,
    isUtf8,
    compression: undefined,
    textAsString: (options.textAs ?? 'string') === 'string',
    closeTimeoutMs: options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    idleTimeoutMs: options.idleTimeoutMs ?? 0,
    maxMessagesPerSecond: options.maxMessagesPerSecond ?? 0,
    clock: options.clock ?? monotonicClock,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    slowConsumerPolicy: options.slowConsumerPolicy ?? 'close',
    sendBudget,
    log: options.log,
  };
}
