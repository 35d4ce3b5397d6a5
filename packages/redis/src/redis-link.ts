import { WsgateError } from '@wsgate/core';
import { createClient, type RedisClientOptions } from 'redis';
import type { Script } from './scripts.js';

type Client = ReturnType<typeof createClient>;

// Replies of RESP's blob string type ('$', 36) as Buffers: payloads are bytes, not UTF-8 text.
// (RESP_TYPES.BLOB_STRING; the constant is not exported by every redis 5.x.)
export const BUFFERS = { typeMapping: { 36: Buffer } } as const;

/** What the backplane needs of Redis, on one server (RedisLink) or a cluster (ClusterLink). */
export interface Link {
  connect(): Promise<void>;
  /** Runs a script (all of its keys in one slot) where its keys live. */
  run(
    script: Script,
    keys: readonly string[],
    args: readonly (string | Buffer)[],
  ): Promise<unknown>;
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  close(): Promise<void>;
}

export interface RedisLinkOptions {
  readonly url: string;
  readonly client: RedisClientOptions | undefined;
  readonly commandTimeoutMs: number;
  readonly sharded: boolean;
}

/** What the link tells the backplane about its connections. */
export interface RedisLinkEvents {
  /** A message arrived on a subscribed channel. */
  live(channel: string, raw: Buffer): void;
  /** A connection was lost (once per outage and connection). */
  lost(error: WsgateError): void;
  /** The subscriber connection is back and has resubscribed every channel. */
  resubscribed(): void;
  /** The command connection is back. */
  commandsBack(): void;
}

/**
 * The two connections a backplane needs: one for commands (scripts), one that stays in pub/sub
 * mode for live messages. Every failure becomes a WsgateError WSG_BACKPLANE_UNAVAILABLE; node-redis
 * reconnects both by itself and resubscribes the channels before it reports the subscriber ready.
 */
export class RedisLink implements Link {
  readonly #options: RedisLinkOptions;
  readonly #events: RedisLinkEvents;
  #commands: Client | undefined;
  #subscriber: Client | undefined;
  #running = false;
  #reconnectPending = false;

  constructor(options: RedisLinkOptions, events: RedisLinkEvents) {
    this.#options = options;
    this.#events = events;
  }

  async connect(): Promise<void> {
    let connecting = true;
    const commands = createClient({
      ...this.#options.client,
      url: this.#options.url,
      // Commands sent while Redis is away fail at once rather than wait in a queue: a publish
      // must reject, not go out minutes later and out of the order the caller saw.
      disableOfflineQueue: true,
      socket: {
        ...this.#options.client?.socket,
        // Fail connect() on the first refused connection; after that, retry for ever.
        reconnectStrategy: (retries: number, cause: Error) =>
          connecting ? cause : Math.min(2 ** retries * 50, 2000),
      },
    });
    const subscriber = commands.duplicate();
    this.#commands = commands;
    this.#subscriber = subscriber;
    this.#watch(commands, 'commands');
    this.#watch(subscriber, 'subscriber');
    try {
      await Promise.all([commands.connect(), subscriber.connect()]);
    } catch (error) {
      for (const client of [commands, subscriber]) if (client.isOpen) client.destroy();
      throw unavailable(`cannot connect to ${redact(this.#options.url)}: ${message(error)}`, error);
    }
    connecting = false;
    this.#running = true;
  }

  /** Runs a script by its SHA1, loading it on first use (and after a Redis restart lost it). */
  async run(
    script: Script,
    keys: readonly string[],
    args: readonly (string | Buffer)[],
  ): Promise<unknown> {
    const client = this.#commands;
    if (client === undefined || !client.isReady) throw unavailable('not connected to Redis');
    return evalScript(
      (command) => this.#answer(client.sendCommand(command, BUFFERS)),
      script,
      keys,
      args,
    );
  }

  async subscribe(channel: string): Promise<void> {
    const subscriber = this.#readySubscriber(channel);
    const listener = (raw: Buffer, from: Buffer) => this.#events.live(from.toString('utf8'), raw);
    try {
      await (this.#options.sharded
        ? subscriber.sSubscribe(channel, listener, true)
        : subscriber.subscribe(channel, listener, true));
    } catch (error) {
      throw unavailable(`cannot subscribe to ${channel}: ${message(error)}`, error);
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    const subscriber = this.#readySubscriber(channel);
    try {
      await (this.#options.sharded
        ? subscriber.sUnsubscribe(channel)
        : subscriber.unsubscribe(channel));
    } catch (error) {
      throw unavailable(`cannot unsubscribe from ${channel}: ${message(error)}`, error);
    }
  }

  async close(): Promise<void> {
    this.#running = false;
    for (const client of [this.#commands, this.#subscriber]) {
      if (client?.isReady) await client.close().catch(() => client.destroy());
      else if (client?.isOpen) client.destroy();
    }
  }

  #readySubscriber(channel: string): Client {
    const subscriber = this.#subscriber;
    if (subscriber === undefined || !subscriber.isReady)
      throw unavailable(`cannot (un)subscribe ${channel}: not connected to Redis`);
    return subscriber;
  }

  /**
   * The reply, or a rejection after commandTimeoutMs: a Redis that hangs (paused, swapping)
   * keeps the connection open, and no operation may wait for ever. The command may still run
   * later, as any command sent before a connection broke may have.
   */
  #answer<T>(reply: Promise<T>): Promise<T> {
    return withinTimeout(reply, this.#options.commandTimeoutMs);
  }

  /** A listener on 'error' always: without one, node-redis's error event would crash the process. */
  #watch(client: Client, role: 'commands' | 'subscriber'): void {
    let down = false;
    client.on('error', (error: unknown) => {
      if (!this.#running || down) return;
      down = true;
      this.#events.lost(
        unavailable(`lost the ${role} connection to Redis: ${message(error)}`, error),
      );
    });
    client.on('ready', () => {
      const wasDown = down;
      down = false;
      if (!this.#running) return;
      if (role === 'commands') {
        if (wasDown) this.#events.commandsBack();
        // Also when this connection's loss was never reported (the subscriber noticed first).
        if (this.#reconnectPending) this.#announceReconnect();
      } else if (!wasDown) return;
      else if (this.#commands?.isReady === true) this.#announceReconnect();
      // The layer above answers `reconnect` by reading history, a command: hold it until the
      // commands connection is back too (after a restart the subscriber may win the race).
      else this.#reconnectPending = true;
    });
  }

  #announceReconnect(): void {
    this.#reconnectPending = false;
    this.#events.resubscribed();
  }
}

/**
 * EVALSHA, then EVAL when Redis does not have the script (first use, or lost with a restart);
 * every failure as WSG_BACKPLANE_UNAVAILABLE.
 */
export async function evalScript(
  send: (command: (string | Buffer)[]) => Promise<unknown>,
  script: Script,
  keys: readonly string[],
  args: readonly (string | Buffer)[],
): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  try {
    return await send(['EVALSHA', script.sha1, ...tail]);
  } catch (error) {
    if (!message(error).startsWith('NOSCRIPT')) throw unavailable(message(error), error);
  }
  try {
    return await send(['EVAL', script.source, ...tail]);
  } catch (error) {
    throw unavailable(message(error), error);
  }
}

/** The reply, or a rejection after `ms`; the command may still run later. */
export function withinTimeout<T>(reply: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  // A late reply or failure of the abandoned command has nobody left to tell.
  reply.catch(() => {});
  return Promise.race([reply, timeout]).finally(() => clearTimeout(timer));
}

export function unavailable(detail: string, cause?: unknown): WsgateError {
  return new WsgateError(
    'WSG_BACKPLANE_UNAVAILABLE',
    cause === undefined ? { detail } : { detail, cause },
  );
}

export function message(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return message(error.errors[0]);
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
