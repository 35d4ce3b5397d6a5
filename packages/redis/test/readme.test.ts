import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from './redis-server.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.kill();
});

describe('the README', () => {
  it('runs its example against a real Redis, as a user would (from the built package)', async () => {
    const readme = readFileSync(`${packageDir}/README.md`, 'utf8');
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("from '@wsgate/redis'");
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '--eval', example ?? ''],
      { cwd: packageDir, env: { ...process.env, REDIS_URL: redis.url }, timeout: 15_000 },
    );
    const lines = stdout.trim().split('\n');
    expect(lines).toContain('true 1');
    expect(lines).toContain('[{"clientId":"ada","data":{"name":"Ada"}}]');
  });
});
