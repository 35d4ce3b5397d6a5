import { ExpressAdapter } from '@nestjs/platform-express';
import type { DemoTls } from '@wsgate/demo-kit';
import { createDemoServer } from '@wsgate/demo-kit';
import { http2RequestListener } from '@wsgate/nestjs';

/**
 * @nestjs/platform-express on HTTP/2 and HTTP/1.1 over TLS, one port (TLS=1). Nest asks its HTTP
 * adapter for the server; this one makes an HTTP/2 server whose requests reach Express through
 * http2RequestListener. The gateways' WebSockets come as HTTP/1.1 upgrades or RFC 8441 streams.
 */
export class Http2ExpressAdapter extends ExpressAdapter {
  constructor(private readonly tls: DemoTls) {
    super();
  }

  override initHttpServer(): void {
    const server = createDemoServer(this.tls, http2RequestListener(this.getInstance()));
    // Nest types its server as an http one; Http2SecureServer has the methods it calls.
    this.setHttpServer(server as never);
  }
}
