import type { RawWebSocket } from '../raw-websocket.js';

export const MiB = 1024 * 1024;
export const ENDPOINTS = ['/echo', '/chat'] as const;
export const DEFLATE_OFFER = { 'Sec-WebSocket-Extensions': 'permessage-deflate' };

/**
 * The one demo process every group of hostile checks runs against, started by
 * `demoHostileSuite`; its members are plain functions, so a group may destructure them.
 */
export interface HostileDemo {
  /** The demo's port, known once the suite's beforeAll has run. */
  readonly port: number;
  /** The demo process's id, for its memory and descriptors. */
  readonly pid: () => number | undefined;
  /** A raw WebSocket to the demo; the next `expectStillServing` destroys it. */
  readonly raw: (
    path: string,
    options?: { headers?: Record<string, string>; after?: Uint8Array },
  ) => Promise<RawWebSocket>;
  /** The process is alive and echoes on a fresh connection (the test's raw clients closed first). */
  readonly expectStillServing: () => Promise<void>;
  /** Every socket the test opened is closed by the demo too (its descriptors are back). */
  readonly expectSocketsFreed: (timeoutMs?: number) => Promise<void>;
}
