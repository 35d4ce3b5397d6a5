import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { BackplaneEvents } from '@wsgate/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBackplane } from '../src/index.js';
import { type RedisServer, startRedis } from './redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.kill();
});

const crashingNode = fileURLToPath(new URL('./fixtures/crashing-node.mjs', import.meta.url));

describe('presence when a node crashes', () => {
  it("a killed process's members leave after presenceTtlMs, with a leave event, while live nodes' members stay", async () => {
    const ttlMs = 600;
    const observer = new RedisBackplane({ url: redis.url, presenceTtlMs: ttlMs });
    const events = new BackplaneEvents();
    await observer.start(events.listener);
    await observer.subscribe('crash');
    await observer.join('crash', { clientId: 'survivor', data: 'here' });

    const child = spawn(
      process.execPath,
      [crashingNode, redis.url, 'crash', 'doomed', String(ttlMs)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      expect(line.toString()).toBe('joined\n');
      await events.next(
        (e) => e.type === 'presence' && e.action === 'join' && e.member.clientId === 'doomed',
        'the child joins',
      );
      expect((await observer.members('crash')).map((m) => m.clientId).sort()).toEqual([
        'doomed',
        'survivor',
      ]);
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await once(child, 'exit');
      const leave = await events.next(
        (e) => e.type === 'presence' && e.action === 'leave',
        'the crashed member leaves',
      );
      expect(leave).toEqual({
        type: 'presence',
        topic: 'crash',
        action: 'leave',
        member: { clientId: 'doomed', data: { pid: child.pid } },
      });
      // It leaves once its last refresh is older than the TTL, and not long after.
      expect(Date.now() - killedAt).toBeLessThan(ttlMs * 3);
      expect(await observer.members('crash')).toEqual([{ clientId: 'survivor', data: 'here' }]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await observer.close();
    }
  });
});
