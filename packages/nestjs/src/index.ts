export { DEFAULT_SHUTDOWN_TIMEOUT_MS, WsgateAdapter } from './adapter.js';
export type { Messaging } from './gateway-server.js';
export { WsgateClient, WsgateServer } from './gateway-server.js';
export { HandshakeContext } from './handshake.js';
export { http2RequestListener } from './http2.js';
export type { WsgateErrorData } from './messages.js';
export { ERROR_EVENT, parseJsonMessage } from './messages.js';
export type {
  CloseOnError,
  CorsOrigin,
  HandshakeGuard,
  ParsedMessage,
  WsgateAdapterOptions,
  WsgateGatewayOptions,
  WsgateMessageParser,
  WsgateSharedOptions,
} from './options.js';
