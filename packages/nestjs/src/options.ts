import type { CanActivate, Type } from '@nestjs/common';
import type { ServerOptions } from '@wsgate/core';
import type { CloseOnError, CorsOrigin, EventMessage, EventParser } from '@wsgate/core/adapter';

/** What a message parser makes of one WebSocket message: an event and its data. */
export type ParsedMessage = EventMessage;

/**
 * Turns a raw message into `{ event, data }` (like WsAdapter's `messageParser`). Throw to report
 * the message as WSG_MESSAGE_MALFORMED (the error's message becomes the detail); return nothing
 * to drop it on purpose.
 */
export type WsgateMessageParser = EventParser;

/** A guard run before the 101: a provider class (resolved from the app) or an instance. */
export type HandshakeGuard = Type<CanActivate> | CanActivate;

// Core's types, under this package's names: `CloseOnError`, which errors also close the
// connection after the error message (none by default; `exception` is a WsException, or any
// `exception` a filter emits: close 1008), and `CorsOrigin`, socket.io's `cors.origin` as far as
// it means something for a WebSocket handshake.
export type { CloseOnError, CorsOrigin };

/** What both the adapter and a gateway may set; a gateway's value wins. */
export interface WsgateSharedOptions extends Omit<ServerOptions, 'path'> {
  /** socket.io's habit: `cors.origin` becomes the Origin allow-list (403 WSG_ORIGIN_REFUSED). */
  readonly cors?: { readonly origin?: CorsOrigin } | boolean | undefined;
  /**
   * Guards that decide on the handshake before the 101, as `CanActivate`. `false` refuses with
   * 403 WSG_FORBIDDEN; an UnauthorizedException with 401 WSG_AUTH_REQUIRED (+ WWW-Authenticate);
   * another HttpException with its status; a WsgateError with its code. The adapter's guards
   * run first, then the gateway's.
   */
  readonly handshakeGuards?: readonly HandshakeGuard[] | undefined;
  /** Challenge sent with a 401 from a guard (RFC 9110 §11.6.1); `Bearer` by default. */
  readonly wwwAuthenticate?: string | undefined;
  /** Reads `{ event, data }` out of each message; JSON by default. */
  readonly messageParser?: WsgateMessageParser | undefined;
  readonly closeOnError?: boolean | CloseOnError | undefined;
  /** ws's name for `maxMessageBytes`, accepted for gateways written for WsAdapter. */
  readonly maxPayload?: number | undefined;
}

/**
 * Options of `@WebSocketGateway<WsgateGatewayOptions>({ ... })`. `verifyUpgrade` of a gateway
 * runs after the adapter's.
 */
export interface WsgateGatewayOptions extends WsgateSharedOptions {
  /** The path served, exactly (`/` when left out on the app's server; any path on its own port). */
  readonly path?: string | undefined;
  /** For a gateway on its own port: the interface to listen on (every interface by default). */
  readonly host?: string | undefined;
}

export interface WsgateAdapterOptions extends WsgateSharedOptions {
  /** Answer plain HTTP requests to a gateway's path with 426 WSG_NOT_WEBSOCKET (default true). */
  readonly refusePlainRequests?: boolean | undefined;
  /**
   * Answer `GET /.well-known/wsgate/refusal?attempt=ID` on the app's server (default true): how a
   * browser page learns why its tagged handshake was refused (see core's RefusalJournal).
   */
  readonly refusalLookup?: boolean | undefined;
  /** On app.close(): how long clients get to answer the 1001 close before being cut off. */
  readonly shutdownTimeoutMs?: number | undefined;
  /**
   * One OpenTelemetry span per `@SubscribeMessage` call, named after its pattern, through the
   * application's `@opentelemetry/api` and tracer provider (default false: nothing is added to
   * a message's path).
   */
  readonly traceMessages?: boolean | undefined;
}
