import {
  otelApi as loadedOtelApi,
  otelApiLoaded as otelApiLoading,
} from '../observability/otel-api.js';

/**
 * `@opentelemetry/api` as the application resolves it, or undefined (not installed, or still
 * loading), for adapters that add their own spans. Typed `object` on purpose: the package is an
 * optional peer, and published declarations must compile for applications that do not have it;
 * an adapter casts it to `typeof import('@opentelemetry/api')` where it uses it.
 */
export function otelApi(): object | undefined {
  return loadedOtelApi();
}

/** Settles once the optional `@opentelemetry/api` has been looked for (see otelApi). */
export const otelApiLoaded: Promise<object | undefined> = otelApiLoading;
