import type { INestApplicationContext } from '@nestjs/common';
import { eventErrorMessage } from '@wsgate/core/adapter';
import { WsgateClient } from './gateway-server.js';

// --- types ------------------------------------------------------------------------------

type Hook = (this: unknown, client: unknown, ...rest: unknown[]) => unknown;

/** The parts of Nest's (internal) container this reads; absent parts mean nothing to guard. */
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
 */
export function guardLifecycleHooks(app: INestApplicationContext | undefined): void {
  const container = (app as { container?: Container } | undefined)?.container;
  const getMetadata = (Reflect as { getMetadata?: (key: string, target: object) => unknown })
    .getMetadata;
  if (typeof container?.getModules !== 'function' || getMetadata === undefined) return;
  for (const module of container.getModules().values()) {
    for (const { instance } of module.providers?.values() ?? []) {
      if (typeof instance !== 'object' || instance === null) continue;
      if (getMetadata(GATEWAY_METADATA, instance.constructor) !== true) continue;
      for (const name of HOOKS) guard(instance as Record<string, unknown>, name);
    }
  }
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
