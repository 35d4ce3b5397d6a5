export type {
  Backplane,
  BackplaneEvent,
  BackplaneListener,
  HistoryOptions,
  HistoryResult,
  PresenceMember,
  TopicMessage,
  TopicPosition,
} from './backplane.js';
export {
  DEFAULT_HISTORY_MAX_AGE_MS,
  DEFAULT_HISTORY_MAX_MESSAGES,
  historyLimits,
  newEpoch,
} from './backplane.js';
export type { MemoryBackplaneOptions } from './memory-backplane.js';
export { MemoryBackplane, MemoryHub } from './memory-backplane.js';
export type { TopicNameCheck } from './topic-name.js';
export { assertTopicName, checkTopicName, MAX_TOPIC_LENGTH } from './topic-name.js';
