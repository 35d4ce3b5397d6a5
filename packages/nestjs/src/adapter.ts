import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { INestApplicationContext, WebSocketAdapter, WsMessageHandler } from '@nestjs/common';
import {
  answerRefusalLookup,
  defaultRefusalJournal,
  fromIncomingMessage,
  logEventFor,
  type RefusalJournal,
  refusalForPlainRequest,
  sendRefusal,
  WebSocketServer,
} from '@wsgate/core';
import { type WsgateClient, WsgateServer } from './gateway-server.js';
import { composeVerifier, originPolicy, resolveGuards } from './handshake.js';
import { guardLifecycleHooks } from './lifecycle.js';
import type { WsgateAdapterOptions, WsgateGatewayOptions, WsgateMessageParser } from './options.js';

// --- types ------------------------------------------------------------------------------

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;
type NestTransform = Parameters<WebSocketAdapter['bindMessageHandlers']>[2];

/** Gateways without a port share the application's HTTP server (Nest's convention). */
const APP_SERVER_PORT = 0;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 3_000;

// Nest's normalizePath: a leading slash, no trailing one, no doubled ones.
function normalizePath(path: string | undefined): string {
  if (!path) return '/';
  return `/${path.replace(/\/+$/, '')}`.replace(/\/+/g, '/');
}

function pathOf(url: string | undefined): string {
  const target = url ?? '/';
  const queryStart = target.indexOf('?');
  return queryStart === -1 ? target : target.slice(0, queryStart);
}

// --- one upgrade listener per HTTP server ---------------------------------------------

/** What the request hook in front of the app's router answers. */
interface PlainRequests {
  /** 426 (or the exact fault) for a plain request to a gateway's path. */
  readonly refuse: boolean;
  /** `GET /.well-known/wsgate/refusal?attempt=ID`, from this journal. */
  readonly lookup: RefusalJournal | undefined;
}

/** Dispatches the upgrades of one HTTP server by path to the gateways' core servers. */
class UpgradeHost {
  readonly servers: WsgateServer[] = [];
  /** Refuses, with its log and journal, what no gateway serves. */
  private readonly fallback: WebSocketServer;
  private readonly detachers: (() => void)[] = [];

  constructor(
    readonly http: HttpServer,
    fallback: WebSocketServer,
    readonly plain: PlainRequests,
    intercept: boolean,
  ) {
    this.fallback = fallback;
    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void =>
      this.upgrade(request, socket, head);
    http.on('upgrade', onUpgrade);
    this.detachers.push(() => http.off('upgrade', onUpgrade));
    if (intercept) {
      // Runs before the framework's router, which would answer a gateway's path with its 404.
      const previous = http.listeners('request') as RequestListener[];
      const onRequest: RequestListener = (request, response) => {
        if (this.answerPlain(request, response)) return;
        for (const listener of previous) listener.call(http, request, response);
      };
      http.removeAllListeners('request');
      http.on('request', onRequest);
      this.detachers.push(() => {
        http.off('request', onRequest);
        for (const listener of previous) http.on('request', listener);
      });
    }
  }

  /** Exact paths first; a gateway on its own port without a path takes the rest. */
  serverFor(path: string): WsgateServer | undefined {
    return (
      this.servers.find((server) => server.path === path) ??
      this.servers.find((server) => server.path === undefined)
    );
  }

  /** The refusal lookup, and 426 for a plain request to a gateway's path; false otherwise. */
  answerPlain(request: IncomingMessage, response: ServerResponse): boolean {
    if (
      this.plain.lookup !== undefined &&
      answerRefusalLookup(request, response, this.plain.lookup)
    )
      return true;
    if (!this.plain.refuse || this.serverFor(pathOf(request.url)) === undefined) return false;
    const { code, detail } = refusalForPlainRequest(request);
    sendRefusal(response, code, { detail, accept: request.headers.accept });
    return true;
  }

  detach(): Promise<void> {
    for (const detach of this.detachers) detach();
    return this.fallback.close();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const handshake = fromIncomingMessage(request);
    const server = this.serverFor(handshake.path);
    if (server === undefined) {
      // 404 WSG_PATH_NOT_FOUND: at once, or after a grace period if other upgrade listeners exist.
      this.fallback.refuseUnhandled(this.http, handshake, socket);
      return;
    }
    server.core.handleUpgrade(handshake, socket, head).catch((error: unknown) => {
      // Core answers every refusal itself; a rejection here is a bug, and the socket's state
      // (101 written or not) is unknown, so it can only be cut. Logged, never silent.
      server.messaging.onLog?.({
        ...logEventFor('WSG_INTERNAL_ERROR', {
          remoteAddress: handshake.remoteAddress,
          path: handshake.path,
        }),
        event: 'wsgate.handshake.failed',
        detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      socket.destroy();
    });
  }
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
  private readonly hosts = new Map<HttpServer, UpgradeHost>();
  private readonly ownServers = new Map<number, HttpServer>();
  private readonly servers = new Set<WsgateServer>();
  private messageParser: WsgateMessageParser | undefined;
  private hooksGuarded = false;

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
      guardLifecycleHooks(this.app);
    }
    const onAppServer = port === APP_SERVER_PORT;
    const http = onAppServer ? this.requireAppServer() : this.ownServer(port, options.host);
    const host = this.hostFor(http, onAppServer);
    const path =
      onAppServer || options.path !== undefined ? normalizePath(options.path) : undefined;
    if (host.servers.some((server) => server.path === path)) {
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
    const server = new WsgateServer(core, port, path, {
      parser: () => gatewayParser ?? this.messageParser,
      closeOnError,
      onLog: serverOptions.onLog,
    });
    host.servers.push(server);
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

  /** A client that connected while the app was still starting: 1013, try again later. */
  closeClient(client: WsgateClient): void {
    client.close(1013, 'the server is starting; try again');
  }

  /** Called by app.close() for each gateway server: 1001 to every client, then stop. */
  async close(server: WsgateServer): Promise<void> {
    await server.close(this.options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    this.servers.delete(server);
  }

  /** Called by app.close() last: closes what is left, the gateways' own ports, the listeners. */
  async dispose(): Promise<void> {
    await Promise.all([...this.servers].map((server) => this.close(server)));
    await Promise.all([...this.hosts.values()].map((host) => host.detach()));
    this.hosts.clear();
    await Promise.all(
      [...this.ownServers.values()].map(
        (http) =>
          new Promise<void>((resolve) => {
            http.close(() => resolve());
            http.closeAllConnections();
          }),
      ),
    );
    this.ownServers.clear();
  }

  // --- HTTP servers ---------------------------------------------------------------------

  private requireAppServer(): HttpServer {
    if (this.appServer !== undefined) return this.appServer;
    throw new Error(
      '@wsgate/nestjs: this gateway has no port of its own and the adapter has no HTTP server. Construct the adapter with the application (new WsgateAdapter(app)) or give the gateway a port.',
    );
  }

  private hostFor(http: HttpServer, onAppServer: boolean): UpgradeHost {
    let host = this.hosts.get(http);
    if (host === undefined) {
      const { verifyUpgrade: _verify, handshakeGuards: _guards, ...fallbackOptions } = this.options;
      const plain: PlainRequests = {
        refuse: !onAppServer || this.options.refusePlainRequests !== false,
        lookup:
          this.options.refusalLookup === false
            ? undefined
            : (this.options.refusalJournal ?? defaultRefusalJournal),
      };
      host = new UpgradeHost(
        http,
        new WebSocketServer(fallbackOptions),
        plain,
        onAppServer && (plain.refuse || plain.lookup !== undefined),
      );
      this.hosts.set(http, host);
    }
    return host;
  }

  /** A gateway with a port of its own gets an HTTP server there, shared by every gateway on it. */
  private ownServer(port: number, hostname: string | undefined): HttpServer {
    const existing = this.ownServers.get(port);
    if (existing !== undefined) return existing;
    const http = createServer((request, response) => {
      if (this.hosts.get(http)?.answerPlain(request, response)) return;
      sendRefusal(response, 'WSG_PATH_NOT_FOUND', {
        detail: `no WebSocket endpoint at ${pathOf(request.url)}`,
        accept: request.headers.accept,
      });
    });
    http.on('error', (error) => {
      throw new Error(`@wsgate/nestjs: cannot serve the gateway port ${port}: ${error.message}`, {
        cause: error,
      });
    });
    if (hostname === undefined) http.listen(port);
    else http.listen(port, hostname);
    this.ownServers.set(port, http);
    return http;
  }
}
