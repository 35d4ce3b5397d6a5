import type { WebSocketConnection } from './connection.js';
import type { HandshakeRequest } from './handshake-request.js';
import type { ServerOptions } from './server.js';
import { WebSocketServer } from './server.js';
import type { UpgradeExchange } from './upgrade-bridge.js';

interface Member {
  readonly key: unknown;
  readonly server: WebSocketServer;
  /** Handshakes in progress and open connections on this server. */
  users: number;
}

const objectIds = new WeakMap<object, number>();
let lastObjectId = 0;

/**
 * Plain data by value, functions by their source, RegExps by pattern and flags, class instances
 * by identity. A function written inline is a new object on every request but the same source.
 */
function keyPart(value: unknown): unknown {
  if (value === undefined) return '(undefined)';
  if (typeof value === 'function') return `(function ${String(value)})`;
  if (typeof value !== 'object') return value;
  if (value === null) return null;
  if (value instanceof RegExp) return `(regexp ${String(value)})`;
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
 * A key equal for options equal by value (functions by source, class instances by identity), so
 * that options written inline, a new object with new functions on every request, find the same
 * server.
 */
export function optionsKey(options: object): string {
  return JSON.stringify(keyPart(options));
}

type OriginFunction = Extract<ServerOptions['origins'], (origin: string) => boolean>;
type SubprotocolFunction = Extract<
  ServerOptions['subprotocols'],
  (offered: readonly string[]) => unknown
>;

/**
 * The core servers behind one attachment to a framework: `base` for the attachment's options,
 * and one for each route's options merged over them. Routes with equal options share a server,
 * so that its limits (`maxConnections`) count every connection made through it; that server is
 * forgotten once no handshake or connection uses it. `clients` holds every open connection.
 *
 * Options compared by value (no `key`) may be written inline, with new functions on every
 * request: the functions that decide on a handshake (`verifyUpgrade`, and `origins` and
 * `subprotocols` when functions) are then those of each handshake's own options, with what they
 * captured; the server's others (`onLog`, `capture`) are those it was made with.
 */
export class ServerGroup {
  readonly base: WebSocketServer;
  readonly clients = new Set<WebSocketConnection>();
  private readonly members = new Map<unknown, Member>();
  /** The route options of each handshake in progress on a server shared by value. */
  private readonly handshakeOptions = new WeakMap<HandshakeRequest, ServerOptions>();
  /** The route options of the handshake whose synchronous checks (origin, subprotocol) run now. */
  private checking: ServerOptions | undefined;
  private closingValue = false;

  constructor(readonly options: ServerOptions = {}) {
    this.base = new WebSocketServer(options);
  }

  /** Servers for route options open now (the base server aside). */
  get size(): number {
    return this.members.size;
  }

  /** True once `close` was called: handshakes are refused with 503. */
  get closing(): boolean {
    return this.closingValue;
  }

  /**
   * Completes the exchange's handshake on the server for `routeOptions` (the base server without
   * any), or refuses it with 503 once closing. `key` names the server to share instead of the
   * options' value (e.g. a route object, for a server per route). Resolves with the connection,
   * or undefined when the handshake was refused or another listener had taken the socket.
   */
  async accept(
    exchange: UpgradeExchange,
    routeOptions?: ServerOptions,
    key?: unknown,
  ): Promise<WebSocketConnection | undefined> {
    if (exchange.taken) return undefined;
    const member = routeOptions === undefined ? undefined : this.acquire(routeOptions, key);
    const server = member?.server ?? this.base;
    let connection: WebSocketConnection | undefined;
    try {
      if (this.closingValue) exchange.refuse(server, 'WSG_SERVER_SHUTTING_DOWN');
      // Headers the framework set before this (cookies, request ids) go into the 101.
      else
        connection = await this.acceptOn(
          server,
          exchange,
          key === undefined ? routeOptions : undefined,
        );
    } finally {
      if (connection === undefined) this.release(member);
    }
    if (connection === undefined) return undefined;
    const accepted = connection;
    this.clients.add(accepted);
    accepted.once('close', () => {
      this.clients.delete(accepted);
      this.release(member);
    });
    return accepted;
  }

  /** Refuses new handshakes (503), closes every connection with 1001, waits up to `timeoutMs`. */
  async close(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    this.closingValue = true;
    const servers = [this.base, ...[...this.members.values()].map((member) => member.server)];
    await Promise.all(servers.map((server) => server.close(options)));
  }

  private acceptOn(
    server: WebSocketServer,
    exchange: UpgradeExchange,
    sharedByValue: ServerOptions | undefined,
  ): Promise<WebSocketConnection | undefined> {
    if (sharedByValue === undefined) return exchange.accept(server);
    this.handshakeOptions.set(exchange.handshake, sharedByValue);
    // The server checks origin and subprotocol before its first await, so within this call.
    this.checking = sharedByValue;
    try {
      return exchange.accept(server);
    } finally {
      this.checking = undefined;
    }
  }

  private acquire(routeOptions: ServerOptions, key: unknown): Member {
    const name = key ?? optionsKey(routeOptions);
    let member = this.members.get(name);
    if (member === undefined) {
      member = {
        key: name,
        server: new WebSocketServer({
          ...this.options,
          ...routeOptions,
          ...(key === undefined ? this.perHandshake(routeOptions) : {}),
        }),
        users: 0,
      };
      this.members.set(name, member);
    }
    member.users++;
    return member;
  }

  /** Hooks of a server shared by value that call the hooks of each handshake's own options. */
  private perHandshake(routeOptions: ServerOptions): ServerOptions {
    const hooks: { -readonly [Name in keyof ServerOptions]: ServerOptions[Name] } = {};
    if (routeOptions.verifyUpgrade !== undefined) {
      hooks.verifyUpgrade = (request) => {
        const own = this.handshakeOptions.get(request)?.verifyUpgrade;
        if (own === undefined)
          throw new Error('verifyUpgrade: no route options for this handshake');
        return own(request);
      };
    }
    if (typeof routeOptions.origins === 'function') {
      hooks.origins = (origin) => (this.checkingHook('origins') as OriginFunction)(origin);
    }
    if (typeof routeOptions.subprotocols === 'function') {
      hooks.subprotocols = (offered) =>
        (this.checkingHook('subprotocols') as SubprotocolFunction)(offered);
    }
    return hooks;
  }

  private checkingHook(name: 'origins' | 'subprotocols'): unknown {
    const own = this.checking?.[name];
    // A failed hook: answered 500 WSG_HOOK_FAILED and logged, never another handshake's decision.
    if (typeof own !== 'function') throw new Error(`${name}: no route options for this handshake`);
    return own;
  }

  private release(member: Member | undefined): void {
    if (member === undefined || --member.users > 0) return;
    if (this.members.get(member.key) === member) this.members.delete(member.key);
  }
}
