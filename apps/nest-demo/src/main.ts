import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  demoPublicDir,
  exitDeadlineOnSignals,
  exitForBackplane,
  listeningMessage,
  openDemoBackplane,
} from '@wsgate/demo-kit';
import { WsgateAdapter } from '@wsgate/nestjs';
import { AppModule } from './app.module.js';
import { config } from './config.js';
import { Http2ExpressAdapter } from './http2-express-adapter.js';

// REDIS_URL makes this instance one of a cluster (the chat room and /live topics span it).
const backplane = await openDemoBackplane().catch(exitForBackplane);
const appOptions = { logger: ['error', 'warn'] as ('error' | 'warn')[] };
// TLS=1: HTTP/2 and HTTP/1.1 on one port (see Http2ExpressAdapter).
const app =
  config.tls === undefined
    ? await NestFactory.create<NestExpressApplication>(AppModule, appOptions)
    : await NestFactory.create<NestExpressApplication>(
        AppModule,
        new Http2ExpressAdapter(config.tls),
        appOptions,
      );
app.useWebSocketAdapter(
  new WsgateAdapter(app, {
    // ALLOWED_ORIGINS applies to every gateway: another Origin gets 403 WSG_ORIGIN_REFUSED.
    origins: config.allowedOrigins,
    backplane,
    onLog: (event) =>
      console.error(`${event.event} ${event.code}${event.detail ? `: ${event.detail}` : ''}`),
  }),
);
app.useStaticAssets(demoPublicDir(import.meta.url));
// SIGTERM / SIGINT: Nest's shutdown hooks run app.close(), whose adapter closes every WebSocket
// with 1001; then the process exits (at the latest after 4 s).
app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
exitDeadlineOnSignals();
await app.listen(config.port, config.host);
const { port } = app.getHttpServer().address() as AddressInfo;
console.log(listeningMessage('nest-demo', config.host, port, config.tls !== undefined));
