/**
 * `@wsgate/core/adapter`: for framework adapters (@wsgate/express, @wsgate/koa, @wsgate/nestjs)
 * and tools built on wsgate (the `wsgate` CLI), not for applications. It carries the plumbing
 * they share: the upgrade bridge that runs a framework's router on a handshake, server groups,
 * the path router, event sockets (`{ event, data }` messages), refusal writers and the refusal
 * journal's lookup, the request-head deadline, readers of a framework's HTTP errors, log events.
 *
 * While 0.x, these names may change in a minor release; adapters and core are released together
 * with the same version. Applications use `@wsgate/core`, whose names are the stable ones.
 * Every runtime name here is listed in test/api/exports.test.ts.
 */

export { isClosingCode, isHandshakeCode } from '../errors/catalogue.js';
// --- close reasons, log events and docs from the catalogue -------------------------------
export {
  closeCodeFor,
  closeReasonFor,
  codeFromCloseReason,
  MAX_CLOSE_REASON_BYTES,
} from '../errors/close-reason.js';
export { renderErrorDocs } from '../errors/docs.js';
export type { CloseOnError, EventErrorData, EventErrorExtra } from '../errors/event-error.js';
export { closesOnError, ERROR_EVENT, eventErrorMessage } from '../errors/event-error.js';
export type { FrameworkErrorAnswer } from '../errors/framework-answer.js';
export {
  answerForFrameworkError,
  codeForFrameworkStatus,
  frameworkAnswerStatuses,
} from '../errors/framework-answer.js';
export type { ErrorRefusal, HttpErrorFields } from '../errors/http-error.js';
export { handshakeErrorRefusal, readHttpError } from '../errors/http-error.js';
export type { HttpRefusal, RefusalOptions } from '../errors/http-refusal.js';
export { buildRefusal, serializeRefusal, statusText, wantsJson } from '../errors/http-refusal.js';
export type { ExceptionSite, LogContext } from '../errors/log-event.js';
export { logEventFor, logEventForException } from '../errors/log-event.js';
export {
  clientCodeForStatus,
  closingCodesWithCloseCode,
  handshakeCodesWithStatus,
  objectionOf,
  statusOf,
} from '../errors/status-index.js';
// --- clients and tools -----------------------------------------------------------------
export type { WebSocketUrl } from '../node/client.js';
export { classifySocketError, parseWebSocketUrl } from '../node/client.js';
export type { ConnectionOptions } from '../node/connection.js';
// --- event messages (`{ event, data }`, as Nest gateways speak) ---------------------------
export type { EventSocketListener } from '../node/event-server.js';
export { EventServer } from '../node/event-server.js';
export type { EventHandler, EventOptions, EventParser } from '../node/event-socket.js';
export { EventSocket } from '../node/event-socket.js';
// --- HTTP/2 ----------------------------------------------------------------------------
export type { AnyHttp2Server } from '../node/h2-attach.js';
export { isHttp2Server } from '../node/h2-attach.js';
export { fromIncomingMessage } from '../node/handshake-request.js';
export { http1AppOverHttp2 } from '../node/http1-app-over-h2.js';

// --- refusals --------------------------------------------------------------------------
export { sendRefusal, writeHttpResponse, writeRefusal } from '../node/refusal.js';
export type {
  LookupAnswer,
  RecordedRefusal,
  RefusalLookup,
} from '../node/refusal-journal.js';
export {
  ATTEMPT_PARAMETER,
  answerRefusalLookup,
  defaultRefusalJournal,
  REFUSAL_LOOKUP_PATH,
  refusalLookupAnswer,
} from '../node/refusal-journal.js';
export { limitRequestHeads, requestHeadArrived } from '../node/request-head-deadline.js';
export { ServerGroup } from '../node/server-group.js';
// --- upgrades through a framework's router ---------------------------------------------
export type { UpgradeBridgeHooks } from '../node/upgrade-bridge.js';
export {
  bridgeUpgrades,
  codeForFrameworkAnswer,
  headersSetByFramework,
  plainRequestRefusal,
  refusalForPlainRequest,
  refusePlainRequest,
  UpgradeExchange,
} from '../node/upgrade-bridge.js';
export type { UpgradeRouterOptions } from '../node/upgrade-router.js';
export { listenForUpgrades, UpgradeRouter } from '../node/upgrade-router.js';
export { createSessionCompression, ZlibMessageCodec } from '../node/zlib-codec.js';
// --- for backplane authors (@wsgate/redis) ------------------------------------------------
export {
  DEFAULT_HISTORY_MAX_AGE_MS,
  DEFAULT_HISTORY_MAX_MESSAGES,
  historyLimits,
  newEpoch,
} from '../topics/backplane.js';
export { MemoryHub } from '../topics/memory-backplane.js';
export type { TopicNameCheck } from '../topics/topic-name.js';
export { assertTopicName, checkTopicName, MAX_TOPIC_LENGTH } from '../topics/topic-name.js';
export type { CorsOrigin } from './cors-origin.js';
export { corsOriginPolicy } from './cors-origin.js';
export type { EventMessage } from './event-message.js';
export { encodeEventMessage, parseEventMessage } from './event-message.js';
// --- OpenTelemetry, loaded lazily (an optional peer dependency) ---------------------------
export { otelApi, otelApiLoaded } from './otel.js';
