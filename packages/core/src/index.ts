/**
 * `@wsgate/core`: what an application uses. A server (standalone, or beside any Node http
 * server), its connections, a client, the error catalogue with its codes, and traffic capture.
 *
 * Two more entry points serve other audiences and may change in minor releases while 0.x:
 * - `@wsgate/core/adapter` for framework adapters and tools built on wsgate (upgrade bridge,
 *   server groups, refusal writers, log events...);
 * - `@wsgate/core/protocol` for people who bring their own I/O (the Sans-I/O protocol).
 *
 * Every runtime name here is listed in test/api/exports.test.ts: adding one is a decision.
 */

// --- errors ----------------------------------------------------------------------------
export type {
  ApplicationEntry,
  CatalogueEntry,
  ClientCode,
  ClientEntry,
  ClosingCode,
  ClosingEntry,
  ErrorCode,
  HandshakeCode,
  HandshakeCodeWithStatus,
  HandshakeEntry,
  ServerCode,
  TopicCode,
} from './errors/catalogue.js';
export { catalogue, ErrorKind, errorCodes, isErrorCode } from './errors/catalogue.js';
export type { LogEvent } from './errors/log-event.js';
export type { WsgateErrorOptions } from './errors/wsgate-error.js';
export { isWsgateError, WsgateError } from './errors/wsgate-error.js';
// --- capture ---------------------------------------------------------------------------
export type { CaptureOptions, CaptureSetting } from './node/capture.js';
export { Capture, createCapture } from './node/capture.js';
// --- client ----------------------------------------------------------------------------
export type { ConnectOptions } from './node/client.js';
export { connect } from './node/client.js';
// --- connection ------------------------------------------------------------------------
export type {
  ConnectionEvents,
  ConnectionLimits,
  MessageData,
  SendOptions,
  SlowConsumerPolicy,
} from './node/connection.js';
export { ReadyState, WebSocketConnection } from './node/connection.js';
export type { WebSocketTransport } from './node/h2-stream.js';
export type { HandshakeRequest } from './node/handshake-request.js';
export type { RefusalJournalOptions } from './node/refusal-journal.js';
export { RefusalJournal } from './node/refusal-journal.js';
// --- server ----------------------------------------------------------------------------
export type {
  PathMatcher,
  ServerEvents,
  ServerOptions,
  UpgradeDecision,
  UpgradeOptions,
  UpgradeRefusal,
} from './node/server.js';
export { createServer, WebSocketServer } from './node/server.js';
// --- observability -------------------------------------------------------------------
export type {
  ConnectionCloseMessage,
  ConnectionOpenMessage,
  ErrorMessage,
  HandshakeAcceptedMessage,
  HandshakeRefusedMessage,
} from './observability/diagnostics.js';
export { DIAGNOSTIC_CHANNELS } from './observability/diagnostics.js';
export { AttributeName, MetricName } from './observability/metric-names.js';
export { CloseCode } from './protocol/close.js';
export type { OriginPolicy, SubprotocolPolicy } from './protocol/handshake-server.js';
export type { DeflateOptions } from './protocol/permessage-deflate.js';
// --- topics ----------------------------------------------------------------------------
export type {
  Backplane,
  BackplaneEvent,
  BackplaneListener,
  HistoryOptions,
  HistoryResult,
  PresenceMember,
  TopicMessage,
  TopicPosition,
} from './topics/backplane.js';
export type { MemoryBackplaneOptions } from './topics/memory-backplane.js';
export { MemoryBackplane } from './topics/memory-backplane.js';
export type {
  PresenceEvent,
  PublishOptions,
  Subscribed,
  SubscribeOptions,
  TopicFrame,
  TopicGap,
} from './topics/topic-hub.js';
