export {
  computeAcceptKey,
  generateClientKey,
  isValidClientKey,
  WEBSOCKET_GUID,
} from './accept-key.js';
export { encodeBase64 } from './base64.js';
export type { ClosePayload } from './close.js';
export { CloseCode, encodeClosePayload, isValidWireCloseCode, parseClosePayload } from './close.js';
export type { CorsOrigin } from './cors-origin.js';
export { corsOriginPolicy } from './cors-origin.js';
export type { EventMessage } from './event-message.js';
export { encodeEventMessage, parseEventMessage } from './event-message.js';
export type { ExtensionOffer } from './extensions-header.js';
export {
  formatExtension,
  isToken,
  parseExtensionsHeader,
  parseSubprotocolsHeader,
} from './extensions-header.js';
export type { FrameHandler, FrameHeader } from './frame-parser.js';
export { FrameParser } from './frame-parser.js';
export type { Allocate, FrameOptions } from './frame-serializer.js';
export { allocateZeroed, encodeFrame, MERGE_PAYLOAD_MAX_BYTES } from './frame-serializer.js';
export type { ClientRequestOptions, ServerResponseOutcome } from './handshake-client.js';
export { serializeClientRequest, validateServerResponse } from './handshake-client.js';
export type {
  ExtensionNegotiator,
  HandshakeOutcome,
  HandshakePolicy,
  OriginPolicy,
  SubprotocolPolicy,
  UpgradeRequest,
} from './handshake-server.js';
export {
  normalizeOrigin,
  serializeAcceptResponse,
  validateUpgradeRequest,
} from './handshake-server.js';
export type { FieldValue } from './http-field.js';
export {
  invalidFieldReason,
  invalidFieldValueAt,
  isFieldName,
  isFieldValue,
} from './http-field.js';
export type {
  HeaderMap,
  HeadParseResult,
  HttpHeadLimits,
  HttpRequestHead,
  HttpResponseHead,
} from './http-head.js';
export {
  defaultHeadLimits,
  HttpRequestParser,
  HttpResponseParser,
  headerHasToken,
} from './http-head.js';
export { applyMask, writeMaskKey } from './mask.js';
export type { MessageCodec, SessionCompression } from './message-codec.js';
export { isControlOpcode, MAX_CONTROL_PAYLOAD_BYTES, Opcode } from './opcodes.js';
export type { DeflateAgreement, DeflateOptions } from './permessage-deflate.js';
export {
  acceptDeflateResponse,
  createDeflateNegotiator,
  DEFAULT_DEFLATE_THRESHOLD_BYTES,
  formatDeflateOffer,
  negotiateDeflate,
  PERMESSAGE_DEFLATE,
  parseDeflateParams,
} from './permessage-deflate.js';
export type { SessionHandler, SessionOptions } from './session.js';
export { DEFAULT_MAX_MESSAGE_BYTES, SessionState, WebSocketSession } from './session.js';
export { sha1 } from './sha1.js';
export { isValidUtf8, Utf8Validator } from './utf8.js';
