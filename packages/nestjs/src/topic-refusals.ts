import { AsyncLocalStorage } from 'node:async_hooks';
import { isWsgateError, type WsgateError } from '@wsgate/core';

/**
 * Why this exists: a topic call inside a `@SubscribeMessage` handler (`client.join('')`,
 * `server.to(topic).emit(...)`) rejects with a WsgateError whose code the client should see
 * (WSG_TOPIC_INVALID, WSG_BACKPLANE_UNAVAILABLE). Nest's exception filter turns any error that is
 * not a WsException into `Internal server error` before the adapter sees it, and hands the
 * adapter no trace of the error itself. So each handler runs in an async context that keeps the
 * last topic refusal raised within it, and the client reports that code when Nest reports the
 * handler's failure. Context, not a field on the client: `server.to(...)` has no client, and the
 * handlers of different clients run at the same time.
 */
interface HandlerRun {
  refusal: WsgateError | undefined;
}

const runs = new AsyncLocalStorage<HandlerRun>();
/**
 * Every refusal a topic call rejected with, for handlers called directly (direct-handlers.ts):
 * their errors reach the adapter unfiltered, so no async context is needed to recognise one.
 */
const refusals = new WeakSet<WsgateError>();

/** Runs a message handler in a context of its own, where topic refusals are kept. */
export function inHandlerRun<T>(handler: () => T): T {
  return runs.run({ refusal: undefined }, handler);
}

/** A topic call's promise, its WsgateError (if it fails with one) kept for the running handler. */
export function noteRefusal<T>(call: () => Promise<T>): Promise<T> {
  let promise: Promise<T>;
  try {
    promise = call();
  } catch (error) {
    promise = Promise.reject(error);
  }
  return promise.catch((error: unknown) => {
    const run = runs.getStore();
    if (isWsgateError(error)) {
      refusals.add(error);
      if (run !== undefined) run.refusal = error;
    }
    throw error;
  });
}

/** The topic refusal of the handler running now, once: undefined when none failed a topic call. */
export function takeRefusal(): WsgateError | undefined {
  const run = runs.getStore();
  const refusal = run?.refusal;
  if (run !== undefined) run.refusal = undefined;
  return refusal;
}

/** `error` when a topic call rejected with it (it is a refusal the client should see by its code). */
export function asRefusal(error: unknown): WsgateError | undefined {
  return isWsgateError(error) && refusals.has(error) ? error : undefined;
}
