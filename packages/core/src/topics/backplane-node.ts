import { backplaneEvent } from '../observability/hooks.js';
import type { Backplane, BackplaneEvent } from './backplane.js';
import { MemoryBackplane } from './memory-backplane.js';

/** What a BackplaneNode delivers to: the topic hub of one server. */
export interface BackplaneClient {
  onBackplaneEvent(event: BackplaneEvent): void;
}

/**
 * This process's use of one backplane, shared by every server given it: a backplane has one
 * listener, so several servers (the routes of one app, or several apps in a process) reach it
 * through one node, which starts it once, subscribes it to a topic while any of them wants the
 * topic, and hands each event to the servers that want it.
 */
export class BackplaneNode {
  readonly #backplane: Backplane;
  #started: Promise<void> | undefined;
  readonly #clients = new Set<BackplaneClient>();
  /** The servers that want each topic; the backplane is subscribed while the set is not empty. */
  readonly #topics = new Map<string, Set<BackplaneClient>>();
  /** The backplane subscription of each topic, in progress or done. */
  readonly #subscriptions = new Map<string, Promise<void>>();

  constructor(backplane: Backplane) {
    this.#backplane = backplane;
  }

  get backplane(): Backplane {
    return this.#backplane;
  }

  /** Starts the backplane on first use; a failed start is tried again by the next call. */
  start(): Promise<void> {
    this.#started ??= this.#backplane
      .start((event) => this.#dispatch(event))
      .catch((error: unknown) => {
        this.#started = undefined;
        throw error;
      });
    return this.#started;
  }

  attach(client: BackplaneClient): void {
    this.#clients.add(client);
  }

  detach(client: BackplaneClient): void {
    this.#clients.delete(client);
  }

  /** `client` wants the topic: the first one subscribes the backplane. */
  async subscribe(topic: string, client: BackplaneClient): Promise<void> {
    await this.start();
    let wanting = this.#topics.get(topic);
    if (wanting === undefined) {
      wanting = new Set();
      this.#topics.set(topic, wanting);
    }
    wanting.add(client);
    let subscription = this.#subscriptions.get(topic);
    if (subscription === undefined) {
      subscription = this.#backplane.subscribe(topic);
      this.#subscriptions.set(topic, subscription);
    }
    try {
      await subscription;
    } catch (error) {
      if (this.#subscriptions.get(topic) === subscription) this.#subscriptions.delete(topic);
      this.#release(topic, client);
      throw error;
    }
  }

  /** `client` no longer wants the topic: the last one unsubscribes the backplane. */
  async unsubscribe(topic: string, client: BackplaneClient): Promise<void> {
    if (!this.#release(topic, client)) return;
    this.#subscriptions.delete(topic);
    // Nobody here waits for the topic any more: a backplane that is down has nothing to undo.
    await this.#backplane.unsubscribe(topic).catch(() => {});
  }

  /** Removes `client` from the topic; true when it was the last one. */
  #release(topic: string, client: BackplaneClient): boolean {
    const wanting = this.#topics.get(topic);
    if (wanting === undefined || !wanting.delete(client) || wanting.size > 0) return false;
    this.#topics.delete(topic);
    return true;
  }

  #dispatch(event: BackplaneEvent): void {
    backplaneEvent(event);
    const topic =
      event.type === 'message'
        ? event.message.topic
        : event.type === 'presence'
          ? event.topic
          : undefined;
    const clients = topic === undefined ? this.#clients : this.#topics.get(topic);
    if (clients === undefined) return;
    for (const client of [...clients]) client.onBackplaneEvent(event);
  }
}

const nodes = new WeakMap<Backplane, BackplaneNode>();

/** The node of `backplane` in this process (one per backplane object). */
export function backplaneNode(backplane: Backplane): BackplaneNode {
  let node = nodes.get(backplane);
  if (node === undefined) {
    node = new BackplaneNode(backplane);
    nodes.set(backplane, node);
  }
  return node;
}

let processBackplane: MemoryBackplane | undefined;

/**
 * The backplane of servers given none: one in-memory backplane for the whole process, so that
 * the routes of an app (each may have its own server) and several servers in one process share
 * topics, as the processes of a cluster do over Redis.
 */
export function defaultBackplane(): MemoryBackplane {
  processBackplane ??= new MemoryBackplane();
  return processBackplane;
}
