import { createCluster, type RedisClusterOptions } from 'redis';
import {
  BUFFERS,
  evalScript,
  type Link,
  type RedisLinkEvents,
  redact,
  message as textOf,
  unavailable,
  withinTimeout,
} from './redis-link.js';
import type { Script } from './scripts.js';

type Cluster = ReturnType<typeof createCluster>;

export interface ClusterLinkOptions {
  readonly cluster: RedisClusterOptions;
  readonly commandTimeoutMs: number;
}

/** How often an outage is checked for its end: node-redis tells of nodes lost, not of nodes back. */
const RECOVERY_CHECK_MS = 200;

/**
 * The backplane's link to a Redis Cluster, through one node-redis cluster client: each script
 * goes to the master of its keys' slot (every key of a topic shares one hash tag, so one slot),
 * and live messages use sharded pub/sub (SSUBSCRIBE on that same master), which node-redis routes
 * and moves with the slot. Failures become WSG_BACKPLANE_UNAVAILABLE; one `lost` per outage, and
 * `resubscribed` once every master and sharded subscriber connection is ready again.
 */
export class ClusterLink implements Link {
  readonly #options: ClusterLinkOptions;
  readonly #events: RedisLinkEvents;
  #cluster: Cluster | undefined;
  #running = false;
  #recovery: NodeJS.Timeout | undefined;

  constructor(options: ClusterLinkOptions, events: RedisLinkEvents) {
    this.#options = options;
    this.#events = events;
  }

  async connect(): Promise<void> {
    const { cluster: options } = this.#options;
    let connecting = true;
    const cluster = createCluster({
      ...options,
      defaults: {
        ...options.defaults,
        // As on one server: a command sent while its node is away fails at once, never late.
        disableOfflineQueue: true,
        socket: {
          ...options.defaults?.socket,
          // Fail connect() on a master that refuses; after that, retry for ever.
          reconnectStrategy: (retries: number, cause: Error) =>
            connecting ? cause : Math.min(2 ** retries * 50, 2000),
        },
      },
    });
    const lost = (error: unknown) => this.#lost(error);
    cluster.on('error', lost);
    cluster.on('node-error', lost);
    this.#cluster = cluster;
    try {
      await cluster.connect();
    } catch (error) {
      cluster.destroy();
      this.#cluster = undefined;
      const nodes = options.rootNodes.map((node) => redact(node.url ?? '?')).join(', ');
      throw unavailable(`cannot connect to the Redis Cluster at ${nodes}: ${textOf(error)}`, error);
    }
    connecting = false;
    this.#running = true;
  }

  run(
    script: Script,
    keys: readonly string[],
    args: readonly (string | Buffer)[],
  ): Promise<unknown> {
    const cluster = this.#ready();
    return evalScript(
      (command) =>
        withinTimeout(
          cluster.sendCommand(keys[0], false, command, BUFFERS),
          this.#options.commandTimeoutMs,
        ),
      script,
      keys,
      args,
    );
  }

  async subscribe(channel: string): Promise<void> {
    const cluster = this.#ready();
    const listener = (raw: Buffer, from: Buffer) => this.#events.live(from.toString('utf8'), raw);
    try {
      await cluster.sSubscribe(channel, listener, true);
    } catch (error) {
      throw unavailable(`cannot subscribe to ${channel}: ${textOf(error)}`, error);
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    const cluster = this.#ready();
    try {
      await cluster.sUnsubscribe(channel);
    } catch (error) {
      throw unavailable(`cannot unsubscribe from ${channel}: ${textOf(error)}`, error);
    }
  }

  async close(): Promise<void> {
    this.#running = false;
    clearInterval(this.#recovery);
    this.#recovery = undefined;
    const cluster = this.#cluster;
    this.#cluster = undefined;
    if (cluster === undefined) return;
    await cluster.close().catch(() => cluster.destroy());
  }

  #ready(): Cluster {
    const cluster = this.#cluster;
    if (cluster === undefined || !this.#running) throw unavailable('not connected to Redis');
    return cluster;
  }

  #lost(error: unknown): void {
    if (!this.#running || this.#recovery !== undefined) return;
    this.#events.lost(
      unavailable(`lost a connection to the Redis Cluster: ${textOf(error)}`, error),
    );
    this.#recovery = setInterval(() => this.#checkRecovery(), RECOVERY_CHECK_MS);
    this.#recovery.unref();
  }

  #checkRecovery(): void {
    const cluster = this.#cluster;
    if (cluster === undefined || !this.#running) return;
    const ready = cluster.masters.every(
      (master) =>
        (master.client === undefined || master.client.isReady) &&
        (master.pubSub === undefined || master.pubSub.client.isReady),
    );
    if (!ready) return;
    clearInterval(this.#recovery);
    this.#recovery = undefined;
    this.#events.commandsBack();
    this.#events.resubscribed();
  }
}
