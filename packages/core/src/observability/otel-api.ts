import type * as OtelApi from '@opentelemetry/api';

/** The `@opentelemetry/api` module, when the application has it installed. */
export type OtelApiModule = typeof OtelApi;

let loadedApi: OtelApiModule | undefined;

/**
 * `@opentelemetry/api` is an optional peer dependency: loaded once, in the background, when core
 * is first imported, from whichever copy the application resolves. Without it every instrument
 * and span is skipped. A dynamic import is the one way to load an optional module that works in
 * both of core's builds (ESM and CommonJS); it settles long before the first handshake, which
 * needs a round trip on the network, is read.
 */
export const otelApiLoaded: Promise<OtelApiModule | undefined> = import('@opentelemetry/api').then(
  (api) => {
    loadedApi = api;
    return api;
  },
  () => undefined,
);

/** The OpenTelemetry API, or undefined while it loads or when it is not installed. */
export function otelApi(): OtelApiModule | undefined {
  return loadedApi;
}

/** The name every meter and tracer of core is created with (the instrumentation scope). */
export const INSTRUMENTATION_SCOPE = '@wsgate/core';
