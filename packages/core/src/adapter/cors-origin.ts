import type { OriginPolicy } from '../protocol/handshake-server.js';

/** The `origin` setting of socket.io's `cors` option and of the `cors` package. */
export type CorsOrigin =
  | boolean
  | string
  | RegExp
  | readonly (string | RegExp)[]
  | ((origin: string) => boolean);

/**
 * The Origin allow-list a `cors.origin` setting stands for, as far as it means something for a
 * WebSocket handshake: every Origin for `true`, `'*'` or nothing; the listed ones for a string,
 * a RegExp or a list of them; a predicate as it is. Throws for `false` (it names no origin) and
 * for a callback `(origin, done)`.
 */
export function corsOriginPolicy(origin: CorsOrigin | undefined): OriginPolicy | undefined {
  if (origin === undefined || origin === true || origin === '*') return undefined;
  if (origin === false) {
    throw new Error(
      'cors.origin false does not say which browser origins may open a WebSocket. Use origins: [] to refuse every Origin, or leave cors out to allow all.',
    );
  }
  if (typeof origin === 'string') return [origin];
  if (typeof origin === 'function') {
    if (origin.length > 1) {
      throw new Error(
        'cors.origin as a callback (origin, done) is not supported: pass a predicate (origin) => boolean.',
      );
    }
    return origin;
  }
  const list = origin instanceof RegExp ? [origin] : origin;
  return (value) =>
    list.some((item) => {
      if (typeof item === 'string') return item === value;
      item.lastIndex = 0;
      return item.test(value);
    });
}
