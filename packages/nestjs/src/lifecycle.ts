import type { INestApplicationContext } from '@nestjs/common';
import { WsgateError } from '@wsgate/core';
import { eventErrorMessage } from '@wsgate/core/adapter';
import { WsgateClient } from './gateway-server.js';

// --- types ------------------------------------------------------------------------------

type Hook = (this: unknown, client: unknown, ...rest: unknown[]) => unknown;

/**
 * The parts of Nest's container this reads. Nest offers no public way to list a gateway's
 * instance before it reads its hooks, so this is internal: when a Nest version moves it, the
 * start fails with WSG_FRAMEWORK_UNSUPPORTED rather than the guard silently doing nothing.
 */
interface Container {
  getModules?(): Map<
    unknown,
    { readonly providers?: Map<unknown, { readonly instance?: unknown }> }
  >;
}

/** Nest's metadata key of @WebSocketGateway (the same in Nest 11 and 12). */
const GATEWAY_METADATA = 'websockets:is_gateway';
const HOOKS = ['handleConnection', 'handleDisconnect'] as const;
const guarded = new WeakSet<Hook>();

// --- guarding ---------------------------------------------------------------------------

/**
 * Nest calls `handleConnection` and `handleDisconnect` inside an RxJS subscription: what they
 * throw, or the promise they return rejects with, would end the process. Wraps them on every
 * gateway instance of the app (once), so that a failure is logged (`onLog`,
 * wsgate.connection.handler_failed) and a client whose `handleConnection` failed gets the error
 * message and a close 1011 WSG_INTERNAL_ERROR. Runs before Nest reads the hooks.
 *
 * Also makes each gateway's `onApplicationBootstrap`, which app.init() awaits, wait for
 * `ready` first: a gateway port that cannot listen then rejects app.init() and app.listen().
 */
export function guardLifecycleHooks(
  app: INestApplicationContext | undefined,
  ready: () => Promise<void>,
): void {
  if (app === undefined) return;
  const container = (app as { container?: Container }).container;
  const getMetadata = (Reflect as { getMetadata?: (key: string, target: object) => unknown })
    .getMetadata;
  if (typeof container?.getModules !== 'function') {
    throw new WsgateError('WSG_FRAMEWORK_UNSUPPORTED', {
      detail: "@wsgate/nestjs: Nest's module container (app.container.getModules) was not found",
    });
  }
  if (getMetadata === undefined) {
    throw new WsgateError('WSG_FRAMEWORK_UNSUPPORTED', {
      detail: "@wsgate/nestjs: Reflect.getMetadata is missing; import 'reflect-metadata' first",
    });
  }
  let gateways = 0;
  for (const module of container.getModules().values()) {
    for (const { instance } of module.providers?.values() ?? []) {
      if (typeof instance !== 'object' || instance === null) continue;
      if (getMetadata(GATEWAY_METADATA, instance.constructor) !== true) continue;
      gateways++;
      for (const name of HOOKS) guard(instance as Record<string, unknown>, name);
      awaitBeforeBootstrap(instance as Record<string, unknown>, ready);
    }
  }
  // Nest creates an adapter's servers only for gateways: seeing none means the shape changed.
  if (gateways === 0) {
    throw new WsgateError('WSG_FRAMEWORK_UNSUPPORTED', {
      detail: `@wsgate/nestjs: no provider in Nest's module container carries the gateway metadata ('${GATEWAY_METADATA}')`,
    });
  }
}

const awaitingReady = new WeakSet<object>();

function awaitBeforeBootstrap(instance: Record<string, unknown>, ready: () => Promise<void>): void {
  if (awaitingReady.has(instance)) return;
  awaitingReady.add(instance);
  const own = instance.onApplicationBootstrap;
  instance.onApplicationBootstrap = async function (this: unknown, ...args: unknown[]) {
    await ready();
    if (typeof own === 'function') return own.apply(this, args);
    return undefined;
  };
}

function guard(instance: Record<string, unknown>, name: (typeof HOOKS)[number]): void {
  const hook = instance[name];
  if (typeof hook !== 'function' || guarded.has(hook as Hook)) return;
  const where = `${instance.constructor.name}.${name}`;
  const safe: Hook = function (this: unknown, client, ...rest) {
    // Called by anything but this adapter (a unit test): behave as the original.
    if (!(client instanceof WsgateClient)) return (hook as Hook).call(this, client, ...rest);
    const failed = (error: unknown): void => hookFailed(client, where, error);
    try {
      const result = (hook as Hook).call(this, client, ...rest);
      if (typeof (result as PromiseLike<unknown> | null)?.then === 'function')
        return Promise.resolve(result).catch(failed);
      return result;
    } catch (error) {
      failed(error);
      return undefined;
    }
  };
  guarded.add(safe);
  instance[name] = safe;
}

function hookFailed(client: WsgateClient, where: string, error: unknown): void {
  client.logFailure(
    `${where} threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  if (!client.isOpen) return;
  // As for a message handler's unhandled error: nothing of the error reaches the client.
  client.send(eventErrorMessage('WSG_INTERNAL_ERROR', 'Internal server error'));
  client.fail('WSG_INTERNAL_ERROR', 'the connection handler failed');
}
