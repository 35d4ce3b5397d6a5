import { describeBackplane } from '@wsgate/test-kit';
import { afterAll, beforeAll } from 'vitest';
import { RedisBackplane } from '../src/index.js';
import { type RedisServer, startRedis } from './redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.kill();
});

describeBackplane('RedisBackplane', () => ({
  node: (options) => new RedisBackplane({ url: redis.url, ...options }),
}));

describeBackplane('RedisBackplane with sharded pub/sub', () => ({
  node: (options) =>
    new RedisBackplane({ url: redis.url, keyPrefix: 'sharded:', shardedPubSub: true, ...options }),
}));
