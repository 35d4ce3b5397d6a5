import { afterAll, beforeAll, beforeEach, describe, expect } from 'vitest';
import { type RunningDemo, startDemo } from '../demo-app.js';
import { waitFor } from '../net.js';
import { openRawWebSocket, type RawWebSocket } from '../raw-websocket.js';
import { openWs, wsNextMessage } from '../ws-client.js';
import { beforeHandshakeChecks } from './before-handshake.js';
import { crowdChecks } from './crowds.js';
import { deflateChecks } from './deflate.js';
import { frameChecks } from './frames.js';
import { type HostileDemo, MiB } from './hostile-demo.js';
import { openFds, rssBytes } from './process-probes.js';
import { slowClientChecks } from './slow-clients.js';

/**
 * Hostile clients against a demo app's `/echo` and `/chat`, started as a built child process
 * with its default limits (16 MiB messages, 16 MiB send cap, permessage-deflate on). Every
 * input gets its exact HTTP status or close code, and afterwards the process is still alive,
 * still echoing, and its memory (VmRSS) and sockets (open descriptors) are bounded.
 */
export function demoHostileSuite(name: string, appDir: string): void {
  describe(`${name} survives hostile clients`, () => {
    let demo: RunningDemo;
    let startRss: number | undefined;
    /** The demo's open descriptors when the running test began. */
    let testStartFds: number | undefined;
    const pid = (): number | undefined => demo.child.pid;
    const raws: RawWebSocket[] = [];

    async function raw(
      path: string,
      options: { headers?: Record<string, string>; after?: Uint8Array } = {},
    ): Promise<RawWebSocket> {
      const socket = await openRawWebSocket(demo.port, { path, ...options });
      raws.push(socket);
      return socket;
    }

    /** The process is alive and echoes on a fresh connection (the test's raw clients closed first). */
    async function expectStillServing(): Promise<void> {
      for (const socket of raws.splice(0)) socket.destroy();
      expect(demo.child.exitCode, demo.output()).toBeNull();
      expect(demo.child.signalCode).toBeNull();
      const client = await openWs(`ws://127.0.0.1:${demo.port}/echo`);
      try {
        const answer = wsNextMessage(client, 3_000);
        client.send('still serving');
        expect((await answer).data.toString()).toBe('still serving');
      } finally {
        client.terminate();
      }
    }

    /** Every socket the test opened is closed by the demo too (its descriptors are back). */
    async function expectSocketsFreed(timeoutMs = 8_000): Promise<void> {
      if (testStartFds === undefined) return;
      const baseline = testStartFds;
      await waitFor(() => (openFds(pid()) ?? 0) <= baseline + 2, {
        timeoutMs,
        intervalMs: 50,
        what: `the demo's open descriptors back to ${baseline} (now ${openFds(pid())})`,
      });
    }

    const hostile: HostileDemo = {
      get port() {
        return demo.port;
      },
      pid,
      raw,
      expectStillServing,
      expectSocketsFreed,
    };

    beforeAll(async () => {
      demo = await startDemo(appDir);
      // Warmed up (a first echo loads what a first connection needs) before the baselines.
      await expectStillServing();
      startRss = rssBytes(pid());
    });

    // Each test compares the descriptors with its own start, not with the suite's, so that it
    // holds whatever ran before it.
    beforeEach(() => {
      testStartFds = openFds(pid());
    });

    afterAll(async () => {
      for (const socket of raws.splice(0)) socket.destroy();
      try {
        // Memory over the whole suite: every hostile client above, whichever of them ran.
        const now = demo === undefined ? undefined : rssBytes(pid());
        if (now !== undefined && startRss !== undefined) {
          expect(now - startRss, 'RSS growth over the suite').toBeLessThan(256 * MiB);
        }
      } finally {
        await demo?.stop();
      }
    });

    beforeHandshakeChecks(hostile);
    frameChecks(hostile);
    deflateChecks(hostile);
    slowClientChecks(hostile);
    crowdChecks(hostile);
  });
}
