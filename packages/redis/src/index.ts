export type { RedisBackplaneOptions } from './redis-backplane.js';
export { RedisBackplane } from './redis-backplane.js';
