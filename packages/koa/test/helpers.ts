import { createServer, type Server } from 'node:http';
import Router from '@koa/router';
import {
  closeHttpServer,
  listenOnLoopback,
  type RawRequestOptions,
  type RawResponse,
  rawExchange,
  upgradeHeaders,
} from '@wsgate/test-kit';
import Koa from 'koa';
import Koa2 from 'koa2';
import { attachWebSocket, type KoaWebSocket, type KoaWebSocketOptions } from '../src/index.js';

export type Handler = (ctx: Koa.Context, next: Koa.Next) => unknown;

/** Both Koa majors. The Koa 2 app is attached with its own @types/koa 2 typing, so that typing is checked too. */
export const koaVersions = [
  {
    koa: 'Koa 3',
    create: () => {
      const app = new Koa();
      return {
        app,
        attach: (http: Server, options?: KoaWebSocketOptions) =>
          attachWebSocket(app, http, options),
      };
    },
  },
  {
    koa: 'Koa 2',
    create: () => {
      const app: Koa2 = new Koa2();
      return {
        // One middleware typing for both in the tests; the runtime is Koa 2's.
        app: app as unknown as Koa,
        attach: (http: Server, options?: KoaWebSocketOptions) =>
          attachWebSocket(app, http, options),
      };
    },
  },
] as const;

export const routings = ['@koa/router', 'plain middleware'] as const;
export type Routing = (typeof routings)[number];

/** Every Koa major with and without @koa/router. */
export const matrix = koaVersions.flatMap((version) =>
  routings.map((routing) => ({ ...version, routing })),
);

export interface TestApp {
  readonly app: Koa;
  readonly http: Server;
  readonly port: number;
  readonly wsgate: KoaWebSocket;
  /** Errors the app reported (`app.on('error')`). */
  readonly errors: Error[];
  close(): Promise<void>;
}

export interface AppSetup {
  /** Middleware that runs before the routes, in order. */
  readonly use?: readonly Handler[];
  /** GET routes, installed after `use` (through @koa/router or a path check). */
  readonly routes?: Readonly<Record<string, Handler>>;
  readonly options?: KoaWebSocketOptions;
  /** Runs before attaching, e.g. to add another upgrade listener first. */
  readonly before?: (http: Server) => void;
}

/** A Koa app served by a real http server on 127.0.0.1, port 0, with wsgate attached. */
export async function startApp(
  version: (typeof koaVersions)[number],
  routing: Routing,
  setup: AppSetup,
): Promise<TestApp> {
  const { app, attach } = version.create();
  const errors: Error[] = [];
  app.on('error', (error: Error) => errors.push(error));
  for (const middleware of setup.use ?? []) app.use(middleware);
  const routes = Object.entries(setup.routes ?? {});
  if (routing === '@koa/router') {
    const router = new Router();
    for (const [path, handler] of routes) router.get(path, handler);
    app.use(router.routes());
    app.use(router.allowedMethods());
  } else {
    for (const [path, handler] of routes) {
      app.use((ctx, next) => (ctx.path === path ? handler(ctx, next) : next()));
    }
  }
  // As users write it: the http server takes the app's callback first, then wsgate attaches.
  const http = createServer(app.callback());
  setup.before?.(http);
  const wsgate = attach(http, setup.options);
  const port = await listenOnLoopback(http);
  return {
    app,
    http,
    port,
    wsgate,
    errors,
    close: async () => {
      await wsgate.close({ timeoutMs: 500 });
      await closeHttpServer(http);
    },
  };
}

/** A route that echoes every message with its type. */
export const echoRoute: Handler = async (ctx) => {
  const ws = await ctx.ws();
  ws?.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
};

/**
 * A hand-written upgrade request, read until `stopWhen` holds: for answers after which the
 * socket stays open (a 101, a keep-alive 400).
 */
export function rawRequestUntil(
  port: number,
  options: RawRequestOptions,
  stopWhen: (received: string) => boolean,
): Promise<RawResponse> {
  const headers = { ...upgradeHeaders(port), ...options.headers };
  let head = `GET ${options.path ?? '/'} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers))
    if (value !== null) head += `${name}: ${value}\r\n`;
  const bytes = Buffer.concat([
    Buffer.from(`${head}\r\n`, 'latin1'),
    options.after ?? Buffer.alloc(0),
  ]);
  return rawExchange(port, bytes, { stopWhen });
}
