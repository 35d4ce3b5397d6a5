import type WebSocket from 'ws';
import { openWs } from './ws-client.js';

/** A message of a demo's `/live` endpoint (shared/DEMO-CONTRACT.md). */
export interface LiveMessage {
  readonly type: string;
  readonly topic?: string;
  readonly offset?: number;
  readonly epoch?: string;
  readonly recovered?: boolean;
  readonly data?: unknown;
  readonly code?: string;
  readonly message?: string;
}

/** A client of `/live` that keeps every message it receives, and waits for the ones it needs. */
export class LiveClient {
  readonly received: LiveMessage[] = [];
  #waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as LiveMessage);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(baseUrl: string): Promise<LiveClient> {
    return new LiveClient(await openWs(`${baseUrl.replace(/^http/, 'ws')}/live`));
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The messages of `type` (and `topic`, when given). */
  of(type: string, topic?: string): LiveMessage[] {
    return this.received.filter(
      (m) => m.type === type && (topic === undefined || m.topic === topic),
    );
  }

  /** Resolves once `condition` holds on what was received; rejects after `timeoutMs`. */
  async until(
    condition: (client: this) => boolean,
    what: string,
    timeoutMs = 10_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends `message` and resolves with the next message of `type` received after it. */
  async request(message: unknown, type: string): Promise<LiveMessage> {
    const before = this.of(type).length;
    this.send(message);
    await this.until((c) => c.of(type).length > before, `a "${type}" reply`);
    return this.of(type)[before] as LiveMessage;
  }

  close(): void {
    this.socket.terminate();
  }
}
