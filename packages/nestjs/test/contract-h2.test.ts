import 'reflect-metadata';
import http2 from 'node:http2';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { H2ContractOptions } from '@wsgate/test-kit';
import { http2RequestListener } from '../src/index.js';
import { describeNestAdapterOverHttp2 } from './contract.js';
import { nest12 } from './nest12.js';

/**
 * @nestjs/platform-express on an HTTP/2 server: Nest asks its HTTP adapter for the server, and
 * Express takes HTTP/2 requests through http2RequestListener.
 */
class Http2ExpressAdapter extends ExpressAdapter {
  constructor(private readonly tls: H2ContractOptions['tls']) {
    super();
  }

  override initHttpServer(): void {
    const listener = http2RequestListener(this.getInstance());
    this.setHttpServer(
      http2.createSecureServer({ ...this.tls, allowHTTP1: true }, listener) as never,
    );
  }
}

describeNestAdapterOverHttp2(nest12, [
  { name: 'express', createHttpAdapter: (tls) => new Http2ExpressAdapter(tls) },
  {
    name: 'fastify',
    createHttpAdapter: (tls) =>
      new FastifyAdapter({ http2: true, https: { ...tls, allowHTTP1: true } }),
  },
]);
