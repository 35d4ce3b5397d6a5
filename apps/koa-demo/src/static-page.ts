import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Middleware } from 'koa';

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Serves the few files of the shared demo page from memory (index.html on `/`). */
export function staticPage(dir: string): Middleware {
  const files = new Map<string, { readonly type: string; readonly body: Buffer }>();
  for (const name of readdirSync(dir)) {
    const type = contentTypes[extname(name)];
    if (type !== undefined) files.set(`/${name}`, { type, body: readFileSync(join(dir, name)) });
  }
  const index = files.get('/index.html');
  if (index !== undefined) files.set('/', index);
  return async (ctx, next) => {
    // A WebSocket attempt on `/` is not a request for the page: it gets the precise 404.
    const servable = (ctx.method === 'GET' || ctx.method === 'HEAD') && !ctx.get('Upgrade');
    const file = servable ? files.get(ctx.path) : undefined;
    if (file === undefined) return next();
    ctx.type = file.type;
    ctx.body = file.body;
  };
}
