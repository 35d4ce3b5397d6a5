import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  answerRefusalLookup,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  type ErrorCode,
  fromIncomingMessage,
  type HandshakeRequest,
  isWsgateError,
  logEventFor,
  type RefusalJournal,
  refusalForPlainRequest,
  type ServerOptions,
  sendRefusal,
  UpgradeExchange,
  type WebSocketConnection,
  WebSocketServer,
} from '@wsgate/core';

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
  return (request, response) => {
    const upgrade = (request as RoutedRequest)[kUpgrade];
    if (upgrade !== undefined) {
      upgrade(route);
      return;
    }
    const { code, detail } = refusalForPlainRequest(request);
    sendRefusal(response, code, { detail, accept: request.headers.accept });
  };
}

/**
 * Answers `GET /.well-known/wsgate/refusal?attempt=ID`, which lets a browser page learn why its
 * tagged handshake was refused (browsers hide the status); passes every other request on.
 */
export function refusalLookup(
  journal?: RefusalJournal,
): (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void {
  return (request, response, next) => {
    if (!answerRefusalLookup(request, response, journal)) next();
  };
}

// --- errors from next(err) --------------------------------------------------------------

interface Refusal {
  readonly code: ErrorCode;
  readonly detail?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly status?: number;
}

/** The refusal for an error a middleware passed to next(); undefined means a 500 that hides it. */
function refusalForError(error: unknown, response: ServerResponse): Refusal | undefined {
  if (isWsgateError(error))
    return error.kind === 'handshake'
      ? { code: error.code, ...(error.detail === undefined ? {} : { detail: error.detail }) }
      : undefined;
  if (typeof error !== 'object' || error === null) return undefined;
  const fields = error as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const status = typeof fields.status === 'number' ? fields.status : fields.statusCode;
  // As Express's final handler: only a client error status is the client's to see.
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 499)
    return undefined;
  // Any other 4xx (a rate limiter's 429, a validator's 400) keeps its status.
  const code: ErrorCode =
    status === 401 ? 'WSG_AUTH_REQUIRED' : status === 404 ? 'WSG_PATH_NOT_FOUND' : 'WSG_FORBIDDEN';
  // http-errors marks client errors whose message is meant for the client with `expose`.
  const message = (error as { message?: unknown }).message;
  const detail = fields.expose === true && typeof message === 'string' ? message : undefined;
  // RFC 9110 §11.6.1: a 401 names its scheme in WWW-Authenticate (http-errors `headers`, or set on res).
  const headers: Record<string, string> = {};
  const own = (error as { headers?: unknown }).headers;
  if (typeof own === 'object' && own !== null)
    for (const [name, value] of Object.entries(own))
      if (typeof value === 'string')
        headers[name.toLowerCase() === 'www-authenticate' ? 'WWW-Authenticate' : name] = value;
  const challenge = response.getHeader('www-authenticate');
  if (typeof challenge === 'string' && headers['WWW-Authenticate'] === undefined)
    headers['WWW-Authenticate'] = challenge;
  return {
    code,
    ...(detail === undefined ? {} : { detail }),
    headers,
    ...(status === 401 || status === 403 || status === 404 ? {} : { status }),
  };
}

// --- attaching ------------------------------------------------------------------------

function claimedElsewhere(socket: Duplex): boolean {
  return socket.destroyed || socket.writableEnded || (socket as Socket).bytesWritten > 0;
}

/**
 * Routes the upgrade requests of `server` through `app`, so its middleware runs on the
 * handshake: whatever the app answers is written as real HTTP, an error passed to next() becomes
 * its catalogue refusal, and a request no WebSocket route takes gets 404 WSG_PATH_NOT_FOUND.
 * Upgrade listeners beside this one keep the requests they claim.
 */
export function attachWebSockets(
  server: HttpServer | HttpsServer,
  app: ExpressApp,
  options: ExpressWebSocketOptions = {},
): AttachedWebSockets {
  const { skipUpgrade, ...coreOptions } = options;
  const handlers = new WeakMap<IncomingMessage, WebSocketHandler<never>>();
  const onConnection = (connection: WebSocketConnection, request: HandshakeRequest): void => {
    const incoming = request.incoming;
    const handler = incoming === undefined ? undefined : handlers.get(incoming);
    if (incoming === undefined || handler === undefined) return;
    handlers.delete(incoming);
    const failed = (error: unknown): void => {
      coreOptions.onLog?.({
        ...logEventFor('WSG_INTERNAL_ERROR', { remoteAddress: connection.remoteAddress }),
        event: 'wsgate.connection.handler_failed',
        detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      connection.fail('WSG_INTERNAL_ERROR', 'the route handler threw');
    };
    try {
      const result = (handler as WebSocketHandler<IncomingMessage>)(connection, incoming);
      if (result instanceof Promise) result.catch(failed);
    } catch (error) {
      failed(error);
    }
  };
  const createServer = (serverOptions: ServerOptions): WebSocketServer =>
    new WebSocketServer(serverOptions).on('connection', onConnection);
  const base = createServer(coreOptions);
  // A route with its own options gets its own server; its connection limits count that route.
  const routeServers = new Map<Route, WebSocketServer>();
  const serverFor = (route: Route): WebSocketServer => {
    if (route.options === undefined) return base;
    let routeServer = routeServers.get(route);
    if (routeServer === undefined) {
      routeServer = createServer({ ...coreOptions, ...route.options });
      routeServers.set(route, routeServer);
    }
    return routeServer;
  };
  let closing = false;
  const alone = (): boolean => server.listenerCount('upgrade') <= 1;

  const hookFailed = (exchange: UpgradeExchange, detail: string): void => {
    coreOptions.onLog?.({
      ...logEventFor('WSG_HOOK_FAILED', {
        remoteAddress: exchange.handshake.remoteAddress,
        path: exchange.handshake.path,
      }),
      event: 'wsgate.handshake.hook_failed',
      detail,
    });
    // Nothing of the error reaches the client.
    exchange.refuse(undefined, 'WSG_HOOK_FAILED');
  };

  const route = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const exchange = new UpgradeExchange(request, socket, head, coreOptions.refusalJournal);
    const timeoutMs = coreOptions.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const timer = setTimeout(() => {
      if (!exchange.settled)
        hookFailed(
          exchange,
          `the app neither answered nor reached a WebSocket route within ${timeoutMs} ms`,
        );
    }, timeoutMs);
    timer.unref();
    const stopTimer = (): void => clearTimeout(timer);
    socket.once('close', stopTimer);
    exchange.response.once('finish', stopTimer);

    (request as RoutedRequest)[kUpgrade] = (target) => {
      stopTimer();
      if (exchange.settled) return;
      handlers.set(request, target.handler);
      void exchange.accept(serverFor(target)).then((connection) => {
        if (connection === undefined) handlers.delete(request);
      });
    };

    const done = (error?: unknown): void => {
      stopTimer();
      if (exchange.settled) return;
      if (error !== undefined && error !== null && error !== 'route' && error !== 'router') {
        const refusal = refusalForError(error, exchange.response);
        if (refusal === undefined) {
          hookFailed(
            exchange,
            error instanceof Error ? (error.stack ?? error.message) : String(error),
          );
          return;
        }
        exchange.refuse(base, refusal.code, refusal.detail, refusal.headers, refusal.status);
        return;
      }
      const detail = `no WebSocket endpoint at ${exchange.handshake.path}`;
      if (alone()) {
        exchange.refuse(base, 'WSG_PATH_NOT_FOUND', detail);
        return;
      }
      // Another upgrade listener may still claim it (as WebSocketServer.refuseUnhandled does).
      const grace = setTimeout(() => {
        if (!claimedElsewhere(socket)) exchange.refuse(base, 'WSG_PATH_NOT_FOUND', detail);
      }, coreOptions.unhandledUpgradeTimeoutMs ?? 1_000);
      grace.unref();
      socket.once('close', () => clearTimeout(grace));
    };

    try {
      app(request, exchange.response, done);
    } catch (error) {
      done(error);
    }
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (skipUpgrade?.(request) === true) return;
    if (closing) {
      base.refuse(fromIncomingMessage(request), socket, 'WSG_SERVER_SHUTTING_DOWN');
      return;
    }
    if (alone()) {
      route(request, socket, head);
      return;
    }
    // Listeners beside this one run synchronously in this same 'upgrade' event: let them claim
    // their requests first, and route only what nobody took.
    setImmediate(() => {
      if (!claimedElsewhere(socket)) route(request, socket, head);
    });
  };
  server.on('upgrade', onUpgrade);

  return {
    get clients() {
      const all = new Set(base.clients);
      for (const routeServer of routeServers.values())
        for (const client of routeServer.clients) all.add(client);
      return all;
    },
    async close(closeOptions = {}) {
      closing = true;
      await Promise.all([base, ...routeServers.values()].map((s) => s.close(closeOptions)));
    },
    detach() {
      server.off('upgrade', onUpgrade);
    },
  };
}
