/**
 * `@wsgate/core/protocol`: the Sans-I/O WebSocket protocol for people who bring their own I/O.
 * Bytes in, bytes and events out: HTTP/1.1 heads, the handshake (RFC 6455 §4), frames (§5),
 * closing (§7), permessage-deflate rules (RFC 7692, with the codec passed in) and the session
 * state machine. Nothing here imports a Node.js builtin (a Biome rule holds this line), so it
 * runs wherever Uint8Array does. Every runtime name here is listed in test/api/exports.test.ts.
 */
export {
  computeAcceptKey,
  generateClientKey,
  isValidClientKey,
  WEBSOCKET_GUID,
} from './accept-key.js';
export type { ClosePayload } from './close.js';
export { CloseCode, encodeClosePayload, isValidWireCloseCode, parseClosePayload } from './close.js';
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
export { encodeFrame } from './frame-serializer.js';
export type { ClientRequestOptions, ServerResponseOutcome } from './handshake-client.js';
export { serializeClientRequest, validateServerResponse } from './handshake-client.js';
export type { ExtendedConnectOutcome } from './handshake-h2.js';
export {
  extendedConnectResponseHeaders,
  SETTINGS_ENABLE_CONNECT_PROTOCOL,
  validateExtendedConnect,
} from './handshake-h2.js';
export type {
  ExtensionNegotiator,
  HandshakeOutcome,
  HandshakePolicy,
  NegotiationOutcome,
  OriginPolicy,
  SubprotocolPolicy,
  UpgradeRequest,
} from './handshake-server.js';
export {
  negotiateHandshake,
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
export { applyMask } from './mask.js';
export type { InflateResult, MessageCodec, SessionCompression } from './message-codec.js';
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
export { isValidUtf8, Utf8Validator } from './utf8.js';
