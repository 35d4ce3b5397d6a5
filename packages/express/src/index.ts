import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type {
  PresenceMember,
  PublishOptions,
  RefusalJournal,
  ServerOptions,
  TopicPosition,
  WebSocketConnection,
} from '@wsgate/core';
import {
  type AnyHttp2Server,
  answerForFrameworkError,
  answerRefusalLookup,
  bridgeUpgrades,
  type FrameworkErrorAnswer,
  http1AppOverHttp2,
  logEventForException,
  refusePlainRequest,
  ServerGroup,
} from '@wsgate/core/adapter';
import { hasWebSocketRoute, kWebSocketRoute } from './route-probe.js';

// --- types ----------------------------------------------------------------------------

/**
 * An Express application (4 or 5), or a Router: anything called as `(req, res, next)`. Typed
 * structurally so that neither major of `@types/express` is required.
 */
export type ExpressApp = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => unknown;

/**
 * What an Express request carries in 4 and 5 alike. With Express 5 typings the route's own
 * request type is inferred from the path; otherwise annotate `req: Request` for the rest.
 */
export interface ExpressRequest extends IncomingMessage {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly path: string;
  readonly baseUrl: string;
  readonly originalUrl: string;
}

/** Receives each accepted connection with the Express request (params, query, whatever middleware set). */
export type WebSocketHandler<Req extends IncomingMessage = ExpressRequest> = (
  connection: WebSocketConnection,
  request: Req,
) => unknown;

/** The core's options for one route; they override the app-wide ones. */
export type WebSocketRouteOptions = Omit<ServerOptions, 'path' | 'unhandledUpgradeTimeoutMs'>;

export interface ExpressWebSocketOptions extends Omit<ServerOptions, 'path'> {
  /**
   * Upgrade requests to leave to other upgrade listeners without routing them through the app,
   * for listeners that claim a socket only later (e.g. a proxy). Listeners that claim at once
   * (ws-based dev servers: Vite, webpack-dev-server, socket.io) need nothing here.
   */
  readonly skipUpgrade?: ((request: IncomingMessage) => boolean) | undefined;
}

export interface AttachedWebSockets {
  /** Every open connection, on every route. */
  readonly clients: ReadonlySet<WebSocketConnection>;
  /** Refuses new handshakes (503), closes every connection with 1001, waits up to `timeoutMs`. */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Stops taking upgrade requests from the server. */
  detach(): void;
  /** Publishes to the topic's subscribers on every route and every process of the `backplane`. */
  publish(
    topic: string,
    data: string | Uint8Array,
    options?: PublishOptions,
  ): Promise<TopicPosition>;
  /** The members of the topic's presence, on every process of the `backplane`. */
  presence(topic: string): Promise<readonly PresenceMember[]>;
}

interface Route {
  readonly handler: WebSocketHandler<never>;
  readonly options: WebSocketRouteOptions | undefined;
}

/** Set on a request routed by `attachWebSockets`; `Symbol.for` so that ESM and CJS copies agree. */
const kUpgrade = Symbol.for('wsgate.express.upgrade');
type RoutedRequest = IncomingMessage & { [kUpgrade]?: (route: Route) => void };

// --- routes ---------------------------------------------------------------------------

/**
 * A WebSocket route, used like any Express handler:
 * `router.get('/rooms/:id', requireUser, websocket((ws, req) => ...))`. An upgrade request that
 * reaches it is accepted (every RFC check and the options apply); a plain HTTP request gets 426.
 */
export function websocket<Req extends IncomingMessage = ExpressRequest>(
  handler: WebSocketHandler<Req>,
  options?: WebSocketRouteOptions,
): (request: Req, response: ServerResponse, next: (error?: unknown) => void) => void {
  const route: Route = { handler: handler as WebSocketHandler<never>, options };
  const handle = (request: Req, response: ServerResponse): void => {
    const upgrade = (request as RoutedRequest)[kUpgrade];
    if (upgrade !== undefined) {
      upgrade(route);
      return;
    }
    refusePlainRequest(request, response);
  };
  return Object.assign(handle, { [kWebSocketRoute]: true });
}

/**
 * Answers `GET /.well-known/wsgate/refusal?attempt=ID`, which lets a browser page learn why its
 * tagged handshake was refused (browsers hide the status); passes every other request on.
 */
export function refusalLookup(
  journal?: RefusalJournal,
): (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void {
  return (request, response, next) => {
    // Express's req.ip is the TCP peer unless the app trusts its proxy (`trust proxy`).
    const { ip } = request as { readonly ip?: string };
    if (!answerRefusalLookup(request, response, journal, ip ?? request.socket?.remoteAddress ?? ''))
      next();
  };
}

// --- errors from next(err) --------------------------------------------------------------

/**
 * The answer to an error a middleware passed to next(), by core's framework-answer policy. As
 * Express's final handler does, the headers set on the response before (a challenge, a
 * Retry-After) go with it, and the error's own `headers` win.
 */
function answerForError(error: unknown, response: ServerResponse): FrameworkErrorAnswer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.getHeaders())) {
    if (typeof value === 'string' || typeof value === 'number') headers[name] = String(value);
  }
  return answerForFrameworkError(error, headers);
}

// --- HTTP/2 ----------------------------------------------------------------------------

/**
 * The request listener for an HTTP/2 server that serves `app`: Express cannot take the HTTP/2
 * compatibility API's requests, so HTTP/2 requests reach it as HTTP/1.1 requests over an
 * in-memory connection (core's `http1AppOverHttp2`); HTTP/1.1 requests reach it directly.
 */
export function http2RequestListener(app: ExpressApp): ReturnType<typeof http1AppOverHttp2> {
  // Called without `next`, an Express app answers what no route took with its final handler.
  return http1AppOverHttp2(app as (request: IncomingMessage, response: ServerResponse) => unknown);
}

// --- attaching ------------------------------------------------------------------------

/** Runs a route's handler on its new connection; what it throws or rejects with closes 1011. */
function runHandler(
  handler: WebSocketHandler<IncomingMessage>,
  connection: WebSocketConnection,
  request: IncomingMessage,
  onLog: ServerOptions['onLog'],
): void {
  const failed = (error: unknown): void => {
    onLog?.(logEventForException('connection', error, { remoteAddress: connection.remoteAddress }));
    connection.fail('WSG_INTERNAL_ERROR', 'the route handler threw');
  };
  try {
    const result = handler(connection, request);
    if (result instanceof Promise) result.catch(failed);
  } catch (error) {
    failed(error);
  }
}

/**
 * Routes the upgrade requests of `server` through `app`, so its middleware runs on the
 * handshake: whatever the app answers is written as real HTTP, an error passed to next() becomes
 * its catalogue refusal, and a request no WebSocket route takes gets 404 WSG_PATH_NOT_FOUND.
 * Upgrade listeners beside this one keep the requests they claim.
 *
 * On an HTTP/2 server (`http2.createSecureServer({ allowHTTP1: true }, http2RequestListener(app))`)
 * WebSockets over HTTP/2 (RFC 8441 extended CONNECT) take the same way: the app sees each as the
 * GET upgrade request it stands for.
 */
export function attachWebSockets(
  server: HttpServer | HttpsServer | AnyHttp2Server,
  app: ExpressApp,
  options: ExpressWebSocketOptions = {},
): AttachedWebSockets {
  const { skipUpgrade, ...coreOptions } = options;
  // A route with its own options gets its own server; its connection limits count that route.
  const group = new ServerGroup(coreOptions);
  const detach = bridgeUpgrades(server, group, {
    skip: skipUpgrade,
    afterNeighbours: true,
    run: (exchange) => {
      const request = exchange.request as RoutedRequest;
      request[kUpgrade] = (route) => {
        void group.accept(exchange, route.options, route).then((connection) => {
          if (connection !== undefined)
            runHandler(
              route.handler as WebSocketHandler<IncomingMessage>,
              connection,
              request,
              coreOptions.onLog,
            );
        });
      };
      const done = (error?: unknown): void => {
        if (exchange.settled) return;
        if (error === undefined || error === null || error === 'route' || error === 'router') {
          // RFC 6455 §4.1: the handshake is a GET; a WebSocket route another method missed is a 405.
          if (request.method !== 'GET' && hasWebSocketRoute(app, exchange.handshake.path))
            exchange.refuse(
              group.base,
              'WSG_METHOD_NOT_ALLOWED',
              `${request.method} to a WebSocket route; the handshake is a GET`,
            );
          else exchange.refuseUnclaimed(group.base, server);
          return;
        }
        const { refusal, failure } = answerForError(error, exchange.response);
        // A failure is logged with its stack; nothing of it reaches the client.
        if (failure) exchange.fail(group.base, error, refusal.status);
        else
          exchange.refuse(
            group.base,
            refusal.code,
            refusal.detail,
            refusal.headers,
            refusal.status,
          );
      };
      try {
        app(request, exchange.response, done);
      } catch (error) {
        done(error);
      }
    },
  });
  return {
    clients: group.clients,
    close: (closeOptions) => group.close(closeOptions),
    detach,
    // Every route's server shares the attachment's backplane: any of them reaches all subscribers.
    publish: (topic, data, publishOptions) => group.base.publish(topic, data, publishOptions),
    presence: (topic) => group.base.presence(topic),
  };
}
