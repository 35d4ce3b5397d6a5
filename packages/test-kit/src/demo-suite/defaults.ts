import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../demo-app.js';
import { pythonMessageLimitProbe } from '../python-client.js';
import { closed, nextMessage, open } from './clients.js';

/** With HOST and MAX_PAYLOAD unset: 127.0.0.1, and the 16 MiB message limit, for ws and Python clients. */
export function describeDemoDefaults(name: string, appDir: string): void {
  describe(`${name} with its defaults`, () => {
    let demo: RunningDemo;
    beforeAll(async () => {
      // HOST and MAX_PAYLOAD unset: 127.0.0.1 and 16 MiB (PORT stays 0 in tests).
      demo = await startDemo(appDir, { HOST: '', MAX_PAYLOAD: '' });
    });
    afterAll(async () => {
      await demo?.stop();
    });

    it('listens on 127.0.0.1 and prints the URL it serves', () => {
      expect(demo.output()).toContain(`http://127.0.0.1:${demo.port}/`);
    });

    it('echoes a 16 MiB message on /echo and closes with 1009 for one byte more', async () => {
      const limit = 16 * 1024 * 1024;
      const socket = await open(`ws://127.0.0.1:${demo.port}/echo`, { perMessageDeflate: false });
      socket.send(Buffer.alloc(limit, 1));
      const echoed = await nextMessage(socket);
      expect(echoed.isBinary).toBe(true);
      expect(echoed.data.length).toBe(limit);
      const done = closed(socket);
      socket.send(Buffer.alloc(limit + 1, 2));
      const { code, reason } = await done;
      expect(code).toBe(1009);
      expect(reason).toMatch(/^WSG_MESSAGE_TOO_BIG/);
    }, 30_000);

    // Random bytes do not compress: Python websockets (zlib, memLevel 5) sends 16 MiB of them
    // as about 16.04 MiB of DEFLATE data, which inflates to exactly the limit.
    it('echoes 16 MiB of random bytes from Python websockets on /echo, compressed and not, and closes with 1009 for one byte more', async () => {
      const limit = 16 * 1024 * 1024;
      const probe = await pythonMessageLimitProbe(`ws://127.0.0.1:${demo.port}/echo`, limit);
      for (const outcome of [probe.compressed, probe.uncompressed]) {
        expect(outcome.at_limit).toEqual({ length: limit, equal: true });
        expect(outcome.over_limit.code).toBe(1009);
        expect(outcome.over_limit.reason).toMatch(/^WSG_MESSAGE_TOO_BIG/);
      }
    }, 180_000);
  });
}
