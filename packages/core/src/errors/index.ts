export type {
  CatalogueEntry,
  ClientCode,
  ClientEntry,
  ClosingCode,
  ClosingEntry,
  ErrorCode,
  HandshakeCode,
  HandshakeCodeWithStatus,
  HandshakeEntry,
} from './catalogue.js';
export {
  catalogue,
  ErrorKind,
  errorCodes,
  isClosingCode,
  isErrorCode,
  isHandshakeCode,
} from './catalogue.js';
export {
  closeCodeFor,
  closeReasonFor,
  codeFromCloseReason,
  MAX_CLOSE_REASON_BYTES,
  truncateUtf8,
} from './close-reason.js';
export { renderErrorDocs } from './docs.js';
export type { CloseOnError, EventErrorData, EventErrorExtra } from './event-error.js';
export { closesOnError, ERROR_EVENT, eventErrorMessage } from './event-error.js';
export type { FrameworkErrorAnswer } from './framework-answer.js';
export {
  answerForFrameworkError,
  codeForFrameworkStatus,
  frameworkAnswerStatuses,
} from './framework-answer.js';
export type { ErrorRefusal, HttpErrorFields } from './http-error.js';
export { handshakeErrorRefusal, readHttpError } from './http-error.js';
export type { HttpRefusal, RefusalOptions } from './http-refusal.js';
export {
  buildRefusal,
  serializeRefusal,
  statusText,
  wantsJson,
} from './http-refusal.js';
export type { ExceptionSite, LogContext, LogEvent } from './log-event.js';
export { logEventFor, logEventForException } from './log-event.js';
export {
  clientCodeForStatus,
  closingCodesWithCloseCode,
  handshakeCodesWithStatus,
  objectionOf,
  statusOf,
} from './status-index.js';
export type { WsgateErrorOptions } from './wsgate-error.js';
export { isWsgateError, WsgateError } from './wsgate-error.js';
