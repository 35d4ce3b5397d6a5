import type { IncomingMessage } from 'node:http';
import type { CanActivate, ExecutionContext, INestApplicationContext, Type } from '@nestjs/common';
import {
  type HandshakeRequest,
  type OriginPolicy,
  type ServerOptions,
  type UpgradeRefusal,
} from '@wsgate/core';
import {
  answerForFrameworkError,
  corsOriginPolicy,
  handshakeErrorRefusal,
  readHttpError,
} from '@wsgate/core/adapter';
import type { CorsOrigin, HandshakeGuard } from './options.js';

type Verify = NonNullable<ServerOptions['verifyUpgrade']>;
type WsArgumentsHost = ReturnType<ExecutionContext['switchToWs']>;
type HttpArgumentsHost = ReturnType<ExecutionContext['switchToHttp']>;
type RpcArgumentsHost = ReturnType<ExecutionContext['switchToRpc']>;

/** The Origin allow-list of a gateway: `origins` as core takes it, else socket.io's `cors.origin`. */
export function originPolicy(
  origins: OriginPolicy | undefined,
  cors: { readonly origin?: CorsOrigin } | boolean | undefined,
): OriginPolicy | undefined {
  return origins ?? corsOriginPolicy(typeof cors === 'object' ? cors.origin : undefined);
}

/** Guard classes come from the app's container (so they get their dependencies). */
export function resolveGuards(
  app: INestApplicationContext | undefined,
  guards: readonly HandshakeGuard[],
): CanActivate[] {
  return guards.map((guard) => {
    if (typeof guard !== 'function') return guard;
    if (app !== undefined) {
      try {
        return app.get(guard, { strict: false });
      } catch {
        // Not a provider: built below when it needs nothing.
      }
    }
    if (guard.length === 0) return new guard();
    throw new Error(
      `@wsgate/nestjs: handshake guard ${guard.name} takes constructor arguments but is not a provider: add it to a module's providers.`,
    );
  });
}

/**
 * What a handshake guard sees: type `ws`, the handshake as client and data (pattern
 * `handshake`), and the upgrade request through `switchToHttp().getRequest()`, with `query`
 * parsed as Express would (last value wins). No gateway metadata is attached.
 */
export class HandshakeContext implements ExecutionContext {
  constructor(readonly handshake: HandshakeRequest) {}

  getType<T extends string = 'ws'>(): T {
    return 'ws' as T;
  }
  getClass<T>(): Type<T> {
    return HandshakeContext as unknown as Type<T>;
  }
  getHandler(): () => void {
    return HandshakeContext.prototype.getArgs;
  }
  getArgs<T extends unknown[]>(): T {
    return [this.handshake, this.handshake, 'handshake'] as unknown as T;
  }
  getArgByIndex<T>(index: number): T {
    return this.getArgs()[index] as T;
  }
  switchToWs(): WsArgumentsHost {
    const handshake = this.handshake;
    return {
      getClient: <T>() => handshake as T,
      getData: <T>() => handshake as T,
      getPattern: () => 'handshake',
    };
  }
  switchToHttp(): HttpArgumentsHost {
    const request = this.request();
    return {
      getRequest: <T>() => request as T,
      getResponse: <T>() => undefined as T,
      getNext: <T>() => undefined as T,
    };
  }
  switchToRpc(): RpcArgumentsHost {
    return { getData: <T>() => this.handshake as T, getContext: <T>() => undefined as T };
  }

  private request(): IncomingMessage | HandshakeRequest | Http2UpgradeView {
    const incoming = this.handshake.incoming as (IncomingMessage & { query?: unknown }) | undefined;
    if (incoming === undefined)
      return this.handshake.transport === 'h2' ? http2UpgradeView(this.handshake) : this.handshake;
    incoming.query ??= Object.fromEntries(this.handshake.query);
    return incoming;
  }
}

/**
 * What a guard reads of a WebSocket over HTTP/2 (RFC 8441): the request as the GET upgrade it
 * stands for, as @wsgate/express and @wsgate/koa show it to their middleware (method GET, no
 * pseudo-header fields, `host` from `:authority`, `query` parsed as Express would).
 */
export interface Http2UpgradeView {
  readonly method: 'GET';
  readonly url: string;
  readonly path: string;
  readonly httpVersion: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly query: Readonly<Record<string, string>>;
  readonly socket: { readonly remoteAddress: string | undefined };
  readonly handshake: HandshakeRequest;
}

function http2UpgradeView(handshake: HandshakeRequest): Http2UpgradeView {
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(handshake.headers))
    if (!name.startsWith(':')) headers[name] = value;
  return {
    method: 'GET',
    url: handshake.url,
    path: handshake.path,
    httpVersion: handshake.httpVersion,
    headers,
    query: Object.fromEntries(handshake.query),
    socket: { remoteAddress: handshake.remoteAddress },
    handshake,
  };
}

function settle(value: unknown): Promise<unknown> {
  const observable = value as { subscribe?: unknown } | null;
  if (typeof observable?.subscribe !== 'function') return Promise.resolve(value);
  // Nest takes the last value of an Observable guard result.
  return new Promise((resolve, reject) => {
    let last: unknown;
    (value as { subscribe(o: object): unknown }).subscribe({
      next: (item: unknown) => {
        last = item;
      },
      error: reject,
      complete: () => resolve(last),
    });
  });
}

/**
 * A guard's exception as a refusal: a WsgateError's code, an HttpException by core's
 * framework-answer policy (its status kept, its message as the detail for a 4xx, its `headers`
 * passed through; a 401 gets the adapter's challenge), a WsException as 403. Anything else is
 * rethrown, which core logs and answers with 500.
 */
export function refusalFor(error: unknown, challenge: string): UpgradeRefusal {
  const fault = error as { message?: unknown; getError?: unknown } | null;
  const status = readHttpError(error).status;
  if (handshakeErrorRefusal(error) === undefined && status === undefined) {
    if (typeof fault?.getError !== 'function') throw error;
    const message = typeof fault.message === 'string' ? fault.message : undefined;
    return { refuse: 'WSG_FORBIDDEN', ...(message === undefined ? {} : { detail: message }) };
  }
  const { refusal, failure } = answerForFrameworkError(
    error,
    status === 401 ? { 'WWW-Authenticate': challenge } : {},
  );
  if (failure) throw error;
  const { code, detail, headers } = refusal;
  return {
    refuse: code,
    ...(detail === undefined ? {} : { detail }),
    ...(refusal.status === undefined ? {} : { status: refusal.status }),
    headers,
  };
}

/** The adapter's and the gateway's hooks, then their guards: the first refusal wins. */
export function composeVerifier(
  verifiers: readonly (Verify | undefined)[],
  guards: readonly CanActivate[],
  challenge: string,
): Verify | undefined {
  const hooks = verifiers.filter((hook): hook is Verify => hook !== undefined);
  if (hooks.length === 0 && guards.length === 0) return undefined;
  return async (request) => {
    for (const hook of hooks) {
      const decision = (await hook(request)) || undefined;
      if (decision !== undefined) return decision;
    }
    for (const guard of guards) {
      let allowed: unknown;
      try {
        allowed = await settle(guard.canActivate(new HandshakeContext(request)));
      } catch (error) {
        return refusalFor(error, challenge);
      }
      if (!allowed) {
        return {
          refuse: 'WSG_FORBIDDEN',
          detail: `${guard.constructor.name} refused the handshake`,
        };
      }
    }
    return undefined;
  };
}
