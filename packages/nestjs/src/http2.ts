import { http1AppOverHttp2 } from '@wsgate/core/adapter';

/**
 * The request listener for an HTTP/2 server (`http2.createSecureServer({ allowHTTP1: true },
 * listener)`) that serves the Express instance of @nestjs/platform-express
 * (`httpAdapter.getInstance()`): Express cannot take the HTTP/2 compatibility API's requests, so
 * HTTP/2 requests reach it as HTTP/1.1 requests over an in-memory connection; HTTP/1.1 requests
 * reach it directly. @nestjs/platform-fastify needs none of this (`http2: true`).
 */
export const http2RequestListener: typeof http1AppOverHttp2 = http1AppOverHttp2;
