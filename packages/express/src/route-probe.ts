/**
 * Whether an Express app (4 or 5) or Router has a WebSocket route at a path, read from its
 * routing table. Express answers a method a route does not take with its 404; for a WebSocket
 * route the answer is 405 with `Allow: GET` (RFC 6455 §4.1, RFC 9110 §15.5.6), and knowing the
 * route is there means looking, without running any middleware a second time.
 */

/** Marks the handlers `websocket()` returns; `Symbol.for` so that ESM and CJS copies agree. */
export const kWebSocketRoute = Symbol.for('wsgate.express.route');

interface Layer {
  readonly handle?: unknown;
  readonly route?: { readonly stack?: readonly Layer[] } | undefined;
  /** Express 4: true and sets `path`; router 2 (Express 5): the match, with its `path`. */
  match?(path: string): boolean | { readonly path?: string } | undefined;
  readonly path?: string;
}

function stackOf(handler: unknown): readonly Layer[] | undefined {
  if (typeof handler !== 'function' && (typeof handler !== 'object' || handler === null))
    return undefined;
  const candidate = handler as {
    stack?: unknown;
    _router?: { stack?: unknown };
    router?: { stack?: unknown };
  };
  // A Router has its stack; an Express 4 app its `_router`, an Express 5 app its `router`.
  const stack = candidate.stack ?? candidate._router?.stack ?? candidate.router?.stack;
  return Array.isArray(stack) ? (stack as Layer[]) : undefined;
}

function isWebSocketRoute(handler: unknown): boolean {
  return typeof handler === 'function' && kWebSocketRoute in handler;
}

/** The part of `path` a layer matched, or undefined when it does not match. */
function matchedPrefix(layer: Layer, path: string): string | undefined {
  if (typeof layer.match !== 'function') return undefined;
  const result = layer.match(path);
  if (result === false || result === undefined || result === null) return undefined;
  return typeof result === 'object' ? (result.path ?? '') : (layer.path ?? '');
}

/** Whether a route of `app` at `path` (mounted Routers included) ends in `websocket()`. */
export function hasWebSocketRoute(app: unknown, path: string, depth = 0): boolean {
  const stack = stackOf(app);
  if (stack === undefined || depth > 16) return false;
  for (const layer of stack) {
    const prefix = matchedPrefix(layer, path);
    if (prefix === undefined) continue;
    if (layer.route !== undefined) {
      if (layer.route.stack?.some((inner) => isWebSocketRoute(inner.handle)) === true) return true;
      continue;
    }
    const rest = path.slice(prefix.length);
    if (hasWebSocketRoute(layer.handle, rest.startsWith('/') ? rest : `/${rest}`, depth + 1))
      return true;
  }
  return false;
}
