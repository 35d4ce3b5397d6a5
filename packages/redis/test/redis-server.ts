// The helper moved to test-kit, where the demos' cluster tests use it too.
export { freePort, type RedisServer, startRedis } from '@wsgate/test-kit';
