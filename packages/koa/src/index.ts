import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import {
  isWsgateError,
  type PresenceMember,
  type PublishOptions,
  type RefusalJournal,
  type ServerOptions,
  type TopicPosition,
  type WebSocketConnection,
  type WebSocketServer,
} from '@wsgate/core';
import {
  type AnyHttp2Server,
  answerForFrameworkError,
  bridgeUpgrades,
  codeForFrameworkStatus,
  type ErrorRefusal,
  type HttpRefusal,
  type LookupAnswer,
  plainRequestRefusal,
  refusalLookupAnswer,
  ServerGroup,
  type UpgradeExchange,
} from '@wsgate/core/adapter';
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
  /** Publishes to the topic's subscribers on every route and every process of the `backplane`. */
  publish(
    topic: string,
    data: string | Uint8Array,
    options?: PublishOptions,
  ): Promise<TopicPosition>;
  /** The members of the topic's presence, on every process of the `backplane`. */
  presence(topic: string): Promise<readonly PresenceMember[]>;
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

interface Upgrade {
  readonly exchange: UpgradeExchange;
  readonly http: HttpServer | AnyHttp2Server;
  /** The attachment's servers: equal route options share one (see ServerGroup). */
  readonly group: ServerGroup;
  accepted?: Promise<WebSocketConnection | undefined>;
}

const upgrades = new WeakMap<IncomingMessage, Upgrade>();
const installed = new WeakSet<object>();

// --- answers -------------------------------------------------------------------------------

/**
 * The catalogue answer for an error status set without a body (`ctx.status = 429`), or undefined
 * to let Koa send the app's own answer (a body it set, a success or a redirect), which the
 * exchange labels and journals by the same policy.
 */
function refusalForStatus(ctx: Context): ErrorRefusal | undefined {
  if ((ctx.body !== undefined && ctx.body !== null) || ctx.status < 400) return undefined;
  const code = codeForFrameworkStatus(ctx.status);
  // Koa 3 answers undefined for an absent header, Koa 2 an empty string.
  const challenge: string | undefined = ctx.response.get('WWW-Authenticate') || undefined;
  return {
    code,
    status: ctx.status,
    detail: code === 'WSG_PATH_NOT_FOUND' ? `no WebSocket endpoint at ${ctx.path}` : undefined,
    headers: challenge === undefined ? {} : { 'WWW-Authenticate': challenge },
  };
}

/** Answers through Koa (status, headers, body), so that Koa sends it as usual. */
function respond(ctx: Context, answer: HttpRefusal | LookupAnswer): void {
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.body = answer.body;
}

// --- ctx.ws and the gate -------------------------------------------------------------------

/** What Koa does with a thrown value that is not an Error. */
function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`non-error thrown: ${String(value)}`);
}

function ignoreAfterUpgrade(): void {
  // The socket belongs to the WebSocket now, which reports its own errors (its close event).
}

function ws(this: Context, options?: KoaRouteOptions): Promise<WebSocketConnection | undefined> {
  const upgrade = upgrades.get(this.req);
  if (upgrade === undefined) {
    // 426 (or the exact fault) for a plain HTTP request that reached a WebSocket route.
    respond(this, plainRequestRefusal(this.req));
    return Promise.resolve(undefined);
  }
  if (upgrade.accepted === undefined) {
    // From here on the exchange, not Koa, answers this request.
    this.respond = false;
    this.onerror = ignoreAfterUpgrade;
    upgrade.accepted = upgrade.group.accept(upgrade.exchange, options);
  }
  return upgrade.accepted;
}

/**
 * The first middleware of the app, for upgrade requests (it passes any other straight on): turns
 * the chain's outcome into the real HTTP answer by core's framework-answer policy: the app's own
 * answer verbatim when it wrote one, else the catalogue answer for the status it chose or the
 * error it threw.
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
  const { exchange, group } = upgrade;
  if (upgrade.accepted !== undefined || exchange.taken) {
    ctx.respond = false;
    // Thrown after the upgrade: reported as Koa reports errors, nothing more can be answered.
    if (thrown !== undefined) ctx.app.emit('error', thrown.error, ctx);
    return;
  }
  if (thrown === undefined) {
    const refusal = refusalForStatus(ctx);
    if (refusal === undefined) return;
    if (refusal.code === 'WSG_PATH_NOT_FOUND' && upgrade.http.listenerCount('upgrade') > 1) {
      // Other upgrade listeners get their grace period before the 404.
      ctx.respond = false;
      exchange.refuseUnclaimed(group.base, upgrade.http);
      return;
    }
    respond(ctx, exchange.answerFor(group.base, refusal));
    return;
  }
  const { refusal } = answerForFrameworkError(thrown.error);
  // A thrown WsgateError is a refusal, not a failure (as from verifyUpgrade): onLog records it.
  // Anything else is reported as Koa reports errors (its onerror leaves exposed 4xx alone).
  if (!isWsgateError(thrown.error) || thrown.error.kind !== 'handshake')
    ctx.app.emit('error', thrown.error, ctx);
  // As in Koa's own error answer, the error's headers replace whatever was set before.
  for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
  respond(ctx, exchange.answerFor(group.base, refusal));
}

/**
 * Answers `GET /.well-known/wsgate/refusal?attempt=ID`: a page whose WebSocket attempt failed
 * asks why (browsers hide the handshake's status). Put it before any auth middleware.
 */
export function refusalLookup(journal?: RefusalJournal): Middleware {
  return async function wsgateRefusalLookup(ctx: Context, next: Next): Promise<void> {
    // ctx.ip is the TCP peer unless the app trusts its proxy (`app.proxy = true`).
    const found = refusalLookupAnswer(ctx.method, ctx.url, ctx.ip, journal, ctx.headers);
    if (found === undefined) return next();
    respond(ctx, found);
  };
}

// --- attaching -----------------------------------------------------------------------------

/**
 * Runs the upgrade requests of `http` through `app`'s middleware chain. A route accepts with
 * `await ctx.ws()`; whatever else the chain answers is written to the client as real HTTP, and an
 * upgrade nobody accepts gets 404. Options are core's `ServerOptions` for every route
 * (`path` limits which upgrades reach Koa at all).
 *
 * `http` may be an HTTP/2 server (`http2.createSecureServer({ allowHTTP1: true }, app.callback())`):
 * WebSockets over HTTP/2 (RFC 8441 extended CONNECT) then run through the same chain, which sees
 * each as the GET upgrade request it stands for.
 */
export function attachWebSocket(
  app: KoaApplication,
  http: HttpServer | AnyHttp2Server,
  options: KoaWebSocketOptions = {},
): KoaWebSocket {
  if (!installed.has(app)) {
    installed.add(app);
    Object.defineProperty(app.context, 'ws', { value: ws, configurable: true, writable: true });
    app.middleware.unshift(gate);
  }
  const group = new ServerGroup(options);
  const detach = bridgeUpgrades(http, group, {
    run: (exchange) => {
      upgrades.set(exchange.request, { exchange, http, group });
      void app.callback()(exchange.request, exchange.response);
    },
    // Reported as Koa reports errors; the client gets 500 WSG_HOOK_FAILED.
    onTimeout: (error) => app.emit('error', error),
  });
  return {
    server: group.base,
    clients: group.clients,
    detach,
    close: (closeOptions) => group.close(closeOptions),
    // Every route's server shares the attachment's backplane: any of them reaches all subscribers.
    publish: (topic, data, publishOptions) => group.base.publish(topic, data, publishOptions),
    presence: (topic) => group.base.presence(topic),
  };
}
