export * from './capture/index.js';
export * from './errors/index.js';
export * from './node/index.js';
export * from './protocol/index.js';
export * from './topics/index.js';
