import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type RedisCluster, startRedisCluster } from '@wsgate/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from './redis-server.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

let redis: RedisServer;
let cluster: RedisCluster;
beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
}, 30_000);
afterAll(async () => {
  await Promise.all([redis?.kill(), cluster?.kill()]);
});

const examples = (): string[] =>
  [...readFileSync(`${packageDir}/README.md`, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map(
    (match) => match[1] ?? '',
  );

function runExample(example: string, env: Record<string, string>) {
  return run(process.execPath, ['--input-type=module', '--eval', example], {
    cwd: packageDir,
    env: { ...process.env, ...env },
    timeout: 15_000,
  });
}

describe('the README', () => {
  it('runs its example against a real Redis, as a user would (from the built package)', async () => {
    const [example] = examples();
    expect(example).toContain("from '@wsgate/redis'");
    const { stdout } = await runExample(example ?? '', { REDIS_URL: redis.url });
    const lines = stdout.trim().split('\n');
    expect(lines).toContain('true 1');
    expect(lines).toContain('[{"clientId":"ada","data":{"name":"Ada"}}]');
  });

  it('runs its Redis Cluster example against a real cluster of three masters', async () => {
    const example = examples()[1];
    expect(example).toContain('cluster: { rootNodes }');
    const { stdout } = await runExample(example ?? '', {
      REDIS_CLUSTER_URLS: cluster.urls.join(','),
    });
    expect(stdout.trim()).toBe('1 hi');
  });
});
