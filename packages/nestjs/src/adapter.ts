import type { Server as HttpServer } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { INestApplicationContext, WebSocketAdapter, WsMessageHandler } from '@nestjs/common';
import { WebSocketServer, WsgateError } from '@wsgate/core';
import {
  defaultRefusalJournal,
  listenForUpgrades,
  logEventFor,
  UpgradeRouter,
} from '@wsgate/core/adapter';
import { DirectHandlerFinder } from './direct-handlers.js';
import { answerInFastifyHook } from './fastify.js';
import { type MessageHandling, type WsgateClient, WsgateServer } from './gateway-server.js';
import { composeVerifier, originPolicy, resolveGuards } from './handshake.js';
import { guardLifecycleHooks } from './lifecycle.js';
import type { WsgateAdapterOptions, WsgateGatewayOptions, WsgateMessageParser } from './options.js';

// --- types ------------------------------------------------------------------------------

type NestTransform = Parameters<WebSocketAdapter['bindMessageHandlers']>[2];

/** Gateways without a port share the application's HTTP server (Nest's convention). */
const APP_SERVER_PORT = 0;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 3_000;

// Nest's normalizePath: a leading slash, no trailing one, no doubled ones.
function normalizePath(path: string | undefined): string {
  if (!path) return '/';
  return `/${path.replace(/\/+$/, '')}`.replace(/\/+/g, '/');
}

/** The path a gateway's server serves: exact on the app's server, every path of its own port without one. */
function servedPath(port: number, path: string | undefined): string | undefined {
  return port === APP_SERVER_PORT || path !== undefined ? normalizePath(path) : undefined;
}

/**
 * Nest's own Logger class, reached through the application's logger (the adapter imports nothing
 * of Nest at run time, so that it works with the application's copy, whichever major it is).
 */
function nestErrorLogger(
  app: INestApplicationContext | undefined,
): MessageHandling['logNestError'] {
  const appLogger = (app as { logger?: object } | undefined)?.logger;
  const LoggerClass = appLogger?.constructor as (new (context: string) => object) | undefined;
  if (typeof LoggerClass !== 'function') return undefined;
  const logger = new LoggerClass('WsExceptionsHandler') as { error?: (error: unknown) => void };
  const error = logger.error;
  return typeof error === 'function' ? (failure) => error.call(logger, failure) : undefined;
}

// --- adapter ----------------------------------------------------------------------------

/**
 * Nest's WebSocketAdapter on wsgate's core: `app.useWebSocketAdapter(new WsgateAdapter(app))`.
 * Gateways keep their decorators; handshakes are refused with a status and a catalogue code,
 * message errors reach the client as `{ event: 'error', data: { code, message, fix } }`.
 */
export class WsgateAdapter
  implements WebSocketAdapter<WsgateServer, WsgateClient, WsgateGatewayOptions>
{
  private readonly app: INestApplicationContext | undefined;
  private readonly appServer: HttpServer | undefined;
  /**
   * One upgrade listener per HTTP server, dispatching by exact path: the app's, and one on each
   * port of its own a gateway names (shared by every gateway on it), keyed by that port.
   */
  private readonly routers = new Map<HttpServer | number, UpgradeRouter>();
  private readonly servers = new Set<WsgateServer>();
  /** One per gateway port of its own: settles once it listens, or fails to. */
  private readonly portsListening: Promise<void>[] = [];
  private messageParser: WsgateMessageParser | undefined;
  private hooksGuarded = false;
  private readonly handling: MessageHandling;

  constructor(
    appOrHttpServer?: INestApplicationContext | HttpServer,
    private readonly options: WsgateAdapterOptions = {},
  ) {
    if (appOrHttpServer instanceof NetServer) {
      this.appServer = appOrHttpServer;
    } else if (appOrHttpServer !== undefined) {
      this.app = appOrHttpServer;
      const { getHttpServer } = appOrHttpServer as { getHttpServer?: () => HttpServer };
      this.appServer = getHttpServer?.call(appOrHttpServer);
    }
    this.messageParser = options.messageParser;
    const finder = new DirectHandlerFinder(this.app, (gateway, gatewayPort) => ({
      port: gatewayPort,
      path: servedPath(gatewayPort, gateway.path),
    }));
    this.handling = {
      traceMessages: options.traceMessages === true,
      findDirect: (place, messages) => finder.find(place, messages),
      logNestError: nestErrorLogger(this.app),
    };
  }

  /** Replaces the adapter's message parser (WsAdapter's habit); a gateway's own parser wins. */
  setMessageParser(parser: WsgateMessageParser): void {
    this.messageParser = parser;
  }

  create(
    port: number,
    options: WsgateGatewayOptions & { readonly namespace?: unknown } = {},
  ): WsgateServer {
    if (options.namespace !== undefined) {
      throw new Error(
        '@wsgate/nestjs: namespaces are a socket.io feature; give each gateway its own path instead.',
      );
    }
    if (Object.hasOwn(options, 'verifyClient')) {
      throw new Error(
        '@wsgate/nestjs: verifyClient is an option of the ws package, which this adapter does not use. Decide on handshakes with verifyUpgrade (return a refusal) or handshakeGuards.',
      );
    }
    if (!this.hooksGuarded) {
      // Nest reads each gateway's handleConnection right after this first create().
      this.hooksGuarded = true;
      guardLifecycleHooks(this.app, () => this.listening());
    }
    const onAppServer = port === APP_SERVER_PORT;
    const router = this.routerFor(port, options.host);
    const path = servedPath(port, options.path);
    if (router.has(path)) {
      throw new Error(
        `@wsgate/nestjs: two gateways serve ${path ?? 'every path'} on ${onAppServer ? "the app's HTTP server" : `port ${port}`} with differently written paths; write the path the same way in each @WebSocketGateway so that Nest lets them share one server.`,
      );
    }
    const {
      cors,
      origins,
      handshakeGuards,
      wwwAuthenticate,
      messageParser,
      closeOnError,
      maxPayload,
      refusePlainRequests: _plain,
      shutdownTimeoutMs: _shutdown,
      traceMessages: _trace,
      host: _host,
      path: _path,
      namespace: _namespace,
      ...serverOptions
    } = { ...this.options, ...options };
    const guards = resolveGuards(this.app, [
      ...(this.options.handshakeGuards ?? []),
      ...(options.handshakeGuards ?? []),
    ]);
    const core = new WebSocketServer({
      ...serverOptions,
      maxMessageBytes: serverOptions.maxMessageBytes ?? maxPayload,
      origins: originPolicy(origins, cors),
      verifyUpgrade: composeVerifier(
        [this.options.verifyUpgrade, options.verifyUpgrade],
        guards,
        wwwAuthenticate ?? 'Bearer',
      ),
    });
    const gatewayParser = options.messageParser;
    const server = new WsgateServer(
      core,
      port,
      path,
      {
        parser: () => gatewayParser ?? this.messageParser,
        closeOnError,
        onLog: serverOptions.onLog,
      },
      this.handling,
    );
    router.add(path, core);
    this.servers.add(server);
    return server;
  }

  bindClientConnect(server: WsgateServer, callback: (...args: unknown[]) => void): void {
    server.on('connection', callback);
  }

  /**
   * Nest 12 passes a reason to handleDisconnect: here the close code, then the close reason if
   * any (`"1001 WSG_SERVER_SHUTDOWN: Server shutting down"`). `client.closeCode` has the number.
   */
  bindClientDisconnect(client: WsgateClient, callback: (reason: string) => void): void {
    client.connection.once('close', (code, reason) =>
      callback(reason === '' ? String(code) : `${code} ${reason}`),
    );
  }

  bindMessageHandlers(
    client: WsgateClient,
    handlers: WsMessageHandler[],
    transform: NestTransform,
  ): void {
    client.bindHandlers(handlers, transform);
  }

  /** A client that connected while the app was still starting: 1013 WSG_SERVER_STARTING. */
  closeClient(client: WsgateClient): void {
    client.fail('WSG_SERVER_STARTING', 'the application is still starting');
  }

  /** Called by app.close() for each gateway server: 1001 to every client, then stop. */
  async close(server: WsgateServer): Promise<void> {
    await server.close(this.options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    this.servers.delete(server);
  }

  /** Called by app.close() last: closes what is left, the gateways' own ports, the listeners. */
  async dispose(): Promise<void> {
    await Promise.all([...this.servers].map((server) => this.close(server)));
    const routers = [...this.routers.values()];
    this.routers.clear();
    // Also closes the gateways' own ports.
    await Promise.all(routers.map((router) => router.close()));
  }

  // --- HTTP servers ---------------------------------------------------------------------

  /** The router of the app's HTTP server (port 0), or of a gateway's own port (made here). */
  private routerFor(port: number, hostname: string | undefined): UpgradeRouter {
    const appServer = port === APP_SERVER_PORT ? this.requireAppServer() : undefined;
    const key = appServer ?? port;
    let router = this.routers.get(key);
    if (router !== undefined) return router;
    const { refusePlainRequests, refusalLookup, refusalJournal } = this.options;
    const options = {
      fallback: this.options,
      refusePlainRequests: appServer === undefined || refusePlainRequests !== false,
      refusalLookup:
        refusalLookup === false ? undefined : (refusalJournal ?? defaultRefusalJournal),
    };
    if (appServer !== undefined) {
      // In front of the app's router, which would answer a gateway's path with its 404: in a
      // Fastify hook on @nestjs/platform-fastify, else ahead of the server's request listeners.
      let appRouter: UpgradeRouter | undefined;
      const inFastify = answerInFastifyHook(
        this.app,
        (request, response) => appRouter?.answerPlainRequest(request, response) === true,
      );
      appRouter = new UpgradeRouter(appServer, { ...options, interceptRequests: !inFastify });
      router = appRouter;
    } else {
      router = listenForUpgrades(port, hostname, options);
      this.portsListening.push(this.listenOutcome(router.http, port, hostname));
    }
    this.routers.set(key, router);
    return router;
  }

  /**
   * Resolves once every gateway port of its own listens; rejects with WSG_LISTEN_FAILED when one
   * cannot (a port in use). Nest awaits it in the gateways' onApplicationBootstrap (see
   * guardLifecycleHooks), so that app.init() and app.listen() reject instead of the process
   * ending on an 'error' event.
   */
  listening(): Promise<void> {
    return Promise.all(this.portsListening).then(() => undefined);
  }

  private listenOutcome(
    http: HttpServer,
    port: number,
    hostname: string | undefined,
  ): Promise<void> {
    const where = `gateway port ${port}${hostname === undefined ? '' : ` on ${hostname}`}`;
    const outcome = new Promise<void>((resolve, reject) => {
      http.once('listening', () => resolve());
      http.on('error', (error) => {
        const failure = new WsgateError('WSG_LISTEN_FAILED', {
          detail: `${where}: ${error.message}`,
          cause: error,
        });
        // Once listening, a server error (rare: out of file descriptors) is logged, not thrown.
        if (http.listening)
          this.options.onLog?.(logEventFor('WSG_LISTEN_FAILED', { detail: failure.message }));
        reject(failure);
      });
    });
    // Reported through listening(); an app never initialized must not see an unhandled rejection.
    outcome.catch(() => {});
    return outcome;
  }

  private requireAppServer(): HttpServer {
    if (this.appServer !== undefined) return this.appServer;
    throw new Error(
      '@wsgate/nestjs: this gateway has no port of its own and the adapter has no HTTP server. Construct the adapter with the application (new WsgateAdapter(app)) or give the gateway a port.',
    );
  }
}
