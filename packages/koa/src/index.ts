import {
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  buildRefusal,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  type ErrorCode,
  fromIncomingMessage,
  isWsgateError,
  logEventFor,
  type RefusalJournal,
  refusalForPlainRequest,
  refusalLookupAnswer,
  type ServerOptions,
  UpgradeExchange,
  type WebSocketConnection,
  WebSocketServer,
} from '@wsgate/core';
import type { Context, Middleware, Next } from 'koa';

// --- types ---------------------------------------------------------------------------------

/** Core options for one route (`ctx.ws(options)`), merged over the app's. */
export type KoaRouteOptions = Omit<
  ServerOptions,
  'path' | 'unhandledUpgradeTimeoutMs' | 'refusalJournal'
>;

export type KoaWebSocketOptions = ServerOptions;

/** What the adapter needs of a Koa application; Koa 2 and Koa 3 both fit. */
export interface KoaApplication {
  readonly context: object;
  readonly middleware: unknown[];
  callback(): (request: IncomingMessage, response: ServerResponse) => unknown;
  emit(event: 'error', error: unknown, ctx?: unknown): boolean;
}

export interface KoaWebSocket {
  /** The server behind `ctx.ws()` without options: its policy and `connection` events. */
  readonly server: WebSocketServer;
  /** Every open WebSocket of this attachment, on every route. */
  readonly clients: ReadonlySet<WebSocketConnection>;
  /** Stops taking upgrades from the http server; open connections stay. */
  detach(): void;
  /** Refuses new handshakes (503) and closes every WebSocket with 1001, as `WebSocketServer.close`. */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
}

declare module 'koa' {
  interface ExtendableContext {
    /**
     * Accepts this request as a WebSocket once the middleware before it let it through. Resolves
     * with the connection, or undefined when the request was answered instead: 426 for a plain
     * HTTP request, or the core's refusal (wrong Origin, wrong version...) already written.
     */
    ws(options?: KoaRouteOptions): Promise<WebSocketConnection | undefined>;
  }
}

interface Attachment {
  readonly http: HttpServer;
  readonly options: KoaWebSocketOptions;
  readonly server: WebSocketServer;
  /** Core servers for route options, by their content, while a handshake or connection uses them. */
  readonly routeServers: Map<string, RouteServer>;
  readonly clients: Set<WebSocketConnection>;
  closing: boolean;
}

interface RouteServer {
  readonly key: string;
  readonly server: WebSocketServer;
  /** Handshakes in progress and open connections on this server. */
  users: number;
}

interface Upgrade {
  readonly exchange: UpgradeExchange;
  readonly attachment: Attachment;
  accepted?: Promise<WebSocketConnection | undefined>;
}

interface Refusal {
  readonly code: ErrorCode;
  readonly status?: number | undefined;
  readonly detail?: string | undefined;
  readonly headers?: Readonly<Record<string, string>>;
}

const upgrades = new WeakMap<IncomingMessage, Upgrade>();
const installed = new WeakSet<object>();

// --- answers -------------------------------------------------------------------------------

/** Whether the upgrade socket was upgraded, answered, or written to by another upgrade listener. */
function taken(exchange: UpgradeExchange): boolean {
  return exchange.settled || ((exchange.socket as Partial<Socket>).bytesWritten ?? 0) > 0;
}

function codeForStatus(status: number): ErrorCode | undefined {
  if (status === 401) return 'WSG_AUTH_REQUIRED';
  if (status === 403) return 'WSG_FORBIDDEN';
  if (status === 404) return 'WSG_PATH_NOT_FOUND';
  if (status === 500) return 'WSG_HOOK_FAILED';
  return undefined;
}

function stringHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers !== 'object' || headers === null) return out;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-type' || lower === 'content-length') continue;
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** The taxonomy answer for what a middleware threw, or undefined to let Koa answer it. */
function refusalForError(error: unknown): Refusal | undefined {
  if (isWsgateError(error)) {
    if (error.kind !== 'handshake') return { code: 'WSG_HOOK_FAILED' };
    return { code: error.code, detail: error.detail };
  }
  const fields = (error ?? {}) as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const raw = typeof fields.status === 'number' ? fields.status : fields.statusCode;
  // Koa answers 500 for a missing or unknown status; so do we.
  const status = typeof raw === 'number' && STATUS_CODES[raw] !== undefined ? raw : 500;
  const code = codeForStatus(status);
  if (code === undefined) return undefined;
  const message = error instanceof Error ? error.message : undefined;
  // An exposed 4xx message (ctx.throw(403, 'admins only')) is meant for the client; nothing of a
  // server error ever is.
  const detail =
    status < 500 && fields.expose === true && message !== STATUS_CODES[status]
      ? message
      : undefined;
  return { code, status, detail, headers: stringHeaders((error as { headers?: unknown }).headers) };
}

/** The taxonomy answer for a status set without a body, or undefined to send the app's own. */
function refusalForStatus(ctx: Context): Refusal | undefined {
  if (ctx.body !== undefined && ctx.body !== null) return undefined;
  const code = codeForStatus(ctx.status);
  if (code === undefined) return undefined;
  // Koa 3 answers undefined for an absent header, Koa 2 an empty string.
  const challenge: string | undefined = ctx.response.get('WWW-Authenticate') || undefined;
  return {
    code,
    status: ctx.status,
    detail: code === 'WSG_PATH_NOT_FOUND' ? `no WebSocket endpoint at ${ctx.path}` : undefined,
    headers: challenge === undefined ? {} : { 'WWW-Authenticate': challenge },
  };
}

/** Writes a catalogue refusal through Koa (status, headers, body), so Koa sends it as usual. */
function answer(ctx: Context, refusal: Refusal, attachment: Attachment): void {
  const built = buildRefusal(refusal.code, {
    accept: ctx.get('Accept') || undefined,
    ...(refusal.detail === undefined ? {} : { detail: refusal.detail }),
    ...(refusal.status === undefined ? {} : { status: refusal.status }),
    ...(refusal.headers === undefined ? {} : { headers: refusal.headers }),
  });
  // buildRefusal turns a 401 without WWW-Authenticate into 403 (RFC 9110 §15.5.2).
  ctx.status = built.status;
  ctx.set(built.headers);
  ctx.body = built.body;
  attachment.server.options.onLog?.(
    logEventFor(refusal.code, {
      detail: refusal.detail,
      remoteAddress: ctx.req.socket?.remoteAddress,
      path: ctx.path,
    }),
  );
}

/** 426 (or the exact fault) for a plain HTTP request that reached a WebSocket route. */
function answerPlainRequest(ctx: Context): void {
  const { code, detail } = refusalForPlainRequest(ctx.req);
  const built = buildRefusal(code, { detail, accept: ctx.get('Accept') || undefined });
  ctx.status = built.status;
  ctx.set(built.headers);
  // RFC 9110 §7.8: an Upgrade header in a response is listed in Connection.
  if (built.headers.Upgrade !== undefined) ctx.set('Connection', 'Upgrade');
  ctx.body = built.body;
}

// --- ctx.ws and the gate -------------------------------------------------------------------

/** What Koa does with a thrown value that is not an Error. */
function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`non-error thrown: ${String(value)}`);
}

function ignoreAfterUpgrade(): void {
  // The socket belongs to the WebSocket now, which reports its own errors (its close event).
}

const objectIds = new WeakMap<object, number>();
let lastObjectId = 0;

/** Plain data by value; functions, RegExps and class instances by identity. */
function keyPart(value: unknown): unknown {
  if (value === undefined) return '(undefined)';
  if (typeof value !== 'object' && typeof value !== 'function') return value;
  if (value === null) return null;
  if (Array.isArray(value)) return value.map(keyPart);
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) {
    return Object.keys(value)
      .sort()
      .map((name) => [name, keyPart((value as Record<string, unknown>)[name])]);
  }
  let id = objectIds.get(value);
  if (id === undefined) {
    id = ++lastObjectId;
    objectIds.set(value, id);
  }
  return `(object ${id})`;
}

/**
 * The core server for a route's options. Options written inline (`ctx.ws({ maxMessageBytes })`)
 * are a new object on every request: equal options share one server, so that its limits
 * (`maxConnections`) count every connection of the route. It is forgotten once nobody uses it.
 */
function routeServerFor(attachment: Attachment, options: KoaRouteOptions): RouteServer {
  const key = JSON.stringify(keyPart(options));
  let route = attachment.routeServers.get(key);
  if (route === undefined) {
    route = { key, server: new WebSocketServer({ ...attachment.options, ...options }), users: 0 };
    attachment.routeServers.set(key, route);
  }
  route.users++;
  return route;
}

function release(attachment: Attachment, route: RouteServer | undefined): void {
  if (route === undefined || --route.users > 0) return;
  if (attachment.routeServers.get(route.key) === route) attachment.routeServers.delete(route.key);
}

async function accept(
  upgrade: Upgrade,
  route: RouteServer | undefined,
): Promise<WebSocketConnection | undefined> {
  const { exchange, attachment } = upgrade;
  const server = route?.server ?? attachment.server;
  if (taken(exchange)) {
    release(attachment, route);
    return undefined;
  }
  if (attachment.closing) {
    exchange.refuse(server, 'WSG_SERVER_SHUTTING_DOWN');
    release(attachment, route);
    return undefined;
  }
  // Headers middleware set before ctx.ws() (cookies, request ids) go into the 101.
  const connection = await exchange.accept(server).catch((error: unknown) => {
    release(attachment, route);
    throw error;
  });
  if (connection === undefined) {
    release(attachment, route);
    return undefined;
  }
  attachment.clients.add(connection);
  connection.once('close', () => {
    attachment.clients.delete(connection);
    release(attachment, route);
  });
  return connection;
}

function ws(this: Context, options?: KoaRouteOptions): Promise<WebSocketConnection | undefined> {
  const upgrade = upgrades.get(this.req);
  if (upgrade === undefined) {
    answerPlainRequest(this);
    return Promise.resolve(undefined);
  }
  if (upgrade.accepted === undefined) {
    // From here on the exchange, not Koa, answers this request.
    this.respond = false;
    this.onerror = ignoreAfterUpgrade;
    const route = options === undefined ? undefined : routeServerFor(upgrade.attachment, options);
    upgrade.accepted = accept(upgrade, route);
  }
  return upgrade.accepted;
}

/**
 * The first middleware of the app, for upgrade requests (it passes any other straight on): turns
 * the chain's outcome into the real HTTP answer, the app's own verbatim, with the taxonomy body
 * for 401, 403, 404 and 500 and for a thrown WsgateError.
 */
async function gate(ctx: Context, next: Next): Promise<void> {
  const upgrade = upgrades.get(ctx.req);
  if (upgrade === undefined) return next();
  let thrown: { readonly error: Error } | undefined;
  try {
    await next();
  } catch (error) {
    thrown = { error: asError(error) };
  }
  const { exchange, attachment } = upgrade;
  if (upgrade.accepted !== undefined || taken(exchange)) {
    ctx.respond = false;
    // Thrown after the upgrade: reported as Koa reports errors, nothing more can be answered.
    if (thrown !== undefined) ctx.app.emit('error', thrown.error, ctx);
    return;
  }
  if (thrown === undefined) {
    const refusal = refusalForStatus(ctx);
    if (refusal === undefined) return;
    if (refusal.code === 'WSG_PATH_NOT_FOUND' && attachment.http.listenerCount('upgrade') > 1) {
      refuseWhenUnclaimed(ctx, upgrade, refusal.detail);
      return;
    }
    answer(ctx, refusal, attachment);
    return;
  }
  const refusal = refusalForError(thrown.error);
  // No taxonomy code fits (e.g. a 429): Koa answers and reports it as it does for any request.
  if (refusal === undefined) throw thrown.error;
  // A thrown WsgateError is a refusal, not a failure (as from verifyUpgrade): onLog records it.
  if (!isWsgateError(thrown.error) || thrown.error.kind !== 'handshake')
    ctx.app.emit('error', thrown.error, ctx);
  // As in Koa's own error answer, the error's headers replace whatever was set before.
  for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
  answer(ctx, refusal, attachment);
}

/** With other upgrade listeners, a 404 waits for them to claim the socket first. */
function refuseWhenUnclaimed(ctx: Context, upgrade: Upgrade, detail: string | undefined): void {
  ctx.respond = false;
  const { exchange, attachment } = upgrade;
  const timer = setTimeout(() => {
    if (!taken(exchange)) exchange.refuse(attachment.server, 'WSG_PATH_NOT_FOUND', detail);
  }, attachment.options.unhandledUpgradeTimeoutMs ?? 1_000);
  timer.unref();
  exchange.socket.once('close', () => clearTimeout(timer));
}

/**
 * Answers `GET /.well-known/wsgate/refusal?attempt=ID`: a page whose WebSocket attempt failed
 * asks why (browsers hide the handshake's status). Put it before any auth middleware.
 */
export function refusalLookup(journal?: RefusalJournal): Middleware {
  return async function wsgateRefusalLookup(ctx: Context, next: Next): Promise<void> {
    const found = refusalLookupAnswer(
      ctx.method,
      ctx.url,
      ctx.req.socket?.remoteAddress ?? '',
      journal,
    );
    if (found === undefined) return next();
    ctx.status = found.status;
    ctx.set(found.headers);
    ctx.body = found.body;
  };
}

// --- attaching -----------------------------------------------------------------------------

/**
 * Runs the upgrade requests of `http` through `app`'s middleware chain. A route accepts with
 * `await ctx.ws()`; whatever else the chain answers is written to the client as real HTTP, and an
 * upgrade nobody accepts gets 404. Options are core's `ServerOptions` for every route
 * (`path` limits which upgrades reach Koa at all).
 */
export function attachWebSocket(
  app: KoaApplication,
  http: HttpServer,
  options: KoaWebSocketOptions = {},
): KoaWebSocket {
  if (!installed.has(app)) {
    installed.add(app);
    Object.defineProperty(app.context, 'ws', { value: ws, configurable: true, writable: true });
    app.middleware.unshift(gate);
  }
  const attachment: Attachment = {
    http,
    options,
    server: new WebSocketServer(options),
    routeServers: new Map(),
    clients: new Set(),
    closing: false,
  };
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // An upgrade listener registered before this one already answered it.
    if (socket.destroyed || ((socket as Partial<Socket>).bytesWritten ?? 0) > 0) return;
    const handshake = fromIncomingMessage(request);
    if (!attachment.server.servesPath(handshake.path)) {
      attachment.server.refuseUnhandled(http, handshake, socket);
      return;
    }
    const exchange = new UpgradeExchange(request, socket, head, options.refusalJournal);
    if (attachment.closing) {
      exchange.refuse(attachment.server, 'WSG_SERVER_SHUTTING_DOWN');
      return;
    }
    upgrades.set(request, { exchange, attachment });
    // A middleware that never settles must not leave the client hanging (as verifyUpgrade's bound).
    const timer = setTimeout(() => {
      if (taken(exchange)) return;
      app.emit(
        'error',
        new Error(
          `the Koa middleware chain did not answer the upgrade request to ${handshake.path} within ${timeoutMs} ms`,
        ),
      );
      exchange.refuse(attachment.server, 'WSG_HOOK_FAILED');
    }, timeoutMs);
    timer.unref();
    const done = (): void => clearTimeout(timer);
    Promise.resolve(app.callback()(request, exchange.response)).then(done, done);
  };
  http.on('upgrade', onUpgrade);

  return {
    server: attachment.server,
    clients: attachment.clients,
    detach: () => {
      http.off('upgrade', onUpgrade);
    },
    close: async (closeOptions = {}) => {
      attachment.closing = true;
      const servers = [
        attachment.server,
        ...[...attachment.routeServers.values()].map((r) => r.server),
      ];
      await Promise.all(servers.map((server) => server.close(closeOptions)));
    },
  };
}
