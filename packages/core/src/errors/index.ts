export type { CatalogueEntry, ErrorCode } from './catalogue.js';
export { catalogue, ErrorKind, errorCodes, isErrorCode } from './catalogue.js';
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
export type { ErrorRefusal, HttpErrorFields } from './http-error.js';
export { handshakeErrorRefusal, readHttpError, refusalForClientError } from './http-error.js';
export type { HttpRefusal, RefusalOptions } from './http-refusal.js';
export {
  buildRefusal,
  serializeRefusal,
  statusText,
  wantsJson,
} from './http-refusal.js';
export type { ExceptionSite, LogContext, LogEvent } from './log-event.js';
export { logEventFor, logEventForException } from './log-event.js';
export type { WsgateErrorOptions } from './wsgate-error.js';
export { isWsgateError, WsgateError } from './wsgate-error.js';
