export type { CaptureOptions, CaptureSetting } from './capture.js';
export {
  Capture,
  captureFor,
  createCapture,
  DEFAULT_CAPTURE_MAX_BYTES,
  MIN_CAPTURE_MAX_BYTES,
} from './capture.js';
export type { ConnectOptions, WebSocketUrl } from './client.js';
export { classifySocketError, connect, parseWebSocketUrl } from './client.js';
export type {
  ConnectionEvents,
  ConnectionLimits,
  ConnectionOptions,
  MessageData,
  SendOptions,
  SlowConsumerPolicy,
} from './connection.js';
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_BYTES,
  ReadyState,
  WebSocketConnection,
} from './connection.js';
export type { EventSocketListener } from './event-server.js';
export { EventServer } from './event-server.js';
export type { EventHandler, EventOptions, EventParser } from './event-socket.js';
export { EventSocket } from './event-socket.js';
export type { HandshakeRequest } from './handshake-request.js';
export { fromIncomingMessage } from './handshake-request.js';
export type { MonotonicClock } from './rate-limit.js';
export { sendRefusal, writeHttpResponse, writeRefusal } from './refusal.js';
export type {
  LookupAnswer,
  RecordedRefusal,
  RefusalJournalOptions,
  RefusalLookup,
} from './refusal-journal.js';
export {
  ATTEMPT_PARAMETER,
  answerRefusalLookup,
  DEFAULT_LOOKUPS_PER_MINUTE,
  DEFAULT_REFUSAL_ENTRIES,
  DEFAULT_REFUSAL_TTL_MS,
  DEFAULT_REFUSALS_PER_ADDRESS,
  defaultRefusalJournal,
  REFUSAL_LOOKUP_PATH,
  RefusalJournal,
  refusalLookupAnswer,
} from './refusal-journal.js';
export { limitRequestHeads, requestHeadArrived } from './request-head-deadline.js';
export type {
  PathMatcher,
  ServerEvents,
  ServerOptions,
  UpgradeDecision,
  UpgradeOptions,
  UpgradeRefusal,
} from './server.js';
export {
  createServer,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MAX_CONNECTIONS,
  WebSocketServer,
} from './server.js';
export { optionsKey, ServerGroup } from './server-group.js';
export type { UpgradeBridgeHooks } from './upgrade-bridge.js';
export {
  bridgeUpgrades,
  codeForFrameworkAnswer,
  headersSetByFramework,
  plainRequestRefusal,
  refusalForPlainRequest,
  refusePlainRequest,
  UpgradeExchange,
} from './upgrade-bridge.js';
export type { UpgradeRouterOptions } from './upgrade-router.js';
export { listenForUpgrades, UpgradeRouter } from './upgrade-router.js';
export { createSessionCompression, ZlibMessageCodec } from './zlib-codec.js';
