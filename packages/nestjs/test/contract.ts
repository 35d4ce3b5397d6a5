import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CanActivate, ExecutionContext, INestApplication } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import {
  type ContractApp,
  type ContractOptions,
  describeAdapter,
  describeAdapterOverHttp2,
  type FrameworkAnswer,
  frameworkAnswerFor,
  type H2ContractOptions,
  stallRequested,
} from '@wsgate/test-kit';
import type { WsgateClient } from '../src/index.js';
import type { NestUnderTest } from './behaviour-suite.js';

/** One of Nest's HTTP platforms: what `createNestApplication` is given. */
export interface NestPlatform {
  /** `express` or `fastify`, as in `@nestjs/platform-*`. */
  readonly name: string;
  /** A new HTTP adapter of the platform (ExpressAdapter, FastifyAdapter). */
  createHttpAdapter(): unknown;
}

/**
 * The contract's app as a Nest module's parts: `/echo` behind the handshake guard that plays the
 * app's middleware, and `GET /hello`.
 */
function contractParts(nest: NestUnderTest) {
  const { Controller, Get, HttpException } = nest.common;
  const { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } = nest.websockets;

  function exceptionFor(row: FrameworkAnswer): Error {
    if (row.status === undefined) return new Error(row.message ?? 'refused by the app');
    return Object.assign(new HttpException(row.message ?? 'refused by the app', row.status), {
      headers: row.headers,
    });
  }

  class AnswerGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean | Promise<boolean> {
      const { url } = context.switchToHttp().getRequest<IncomingMessage>();
      if (stallRequested(url)) return new Promise<boolean>(() => {});
      const row = frameworkAnswerFor(url);
      if (row !== undefined) throw exceptionFor(row);
      return true;
    }
  }

  @WebSocketGateway({
    path: '/echo',
    handshakeGuards: [new AnswerGuard()],
    messageParser: (data: string | Buffer, isBinary: boolean) => ({
      event: 'echo',
      data: { data, isBinary },
    }),
  })
  class EchoGateway {
    @SubscribeMessage('echo')
    echo(
      @MessageBody() message: { data: string | Buffer; isBinary: boolean },
      @ConnectedSocket() client: WsgateClient,
    ): void {
      client.send(message.data, { binary: message.isBinary });
    }
  }

  @Controller()
  class HelloController {
    @Get('hello')
    hello(): string {
      return 'hello';
    }
  }

  return { EchoGateway, HelloController };
}

/** Starts the contract's app on `httpAdapter`, with the wsgate adapter given `options`. */
async function startContractApp(
  nest: NestUnderTest,
  httpAdapter: unknown,
  options: ContractOptions,
  url: (port: number) => string,
): Promise<ContractApp> {
  const { EchoGateway, HelloController } = contractParts(nest);
  const moduleRef = await nest.testing.Test.createTestingModule({
    providers: [EchoGateway],
    controllers: [HelloController],
  }).compile();
  const app: INestApplication = moduleRef.createNestApplication(
    httpAdapter as AbstractHttpAdapter,
    { logger: false },
  );
  app.useWebSocketAdapter(new nest.adapter.WsgateAdapter(app, options));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= app.close();
    return closing;
  };
  return { url: url(port), closeWebSockets: close, stop: close };
}

/**
 * The adapter contract (packages/test-kit, describeAdapter) for a Nest major on each of its
 * HTTP platforms. The app's handshake middleware is a handshake guard: Nest's guards only raise
 * errors, so the table's rows that write a response of their own do not apply.
 */
export function describeNestAdapter(nest: NestUnderTest, platforms: readonly NestPlatform[]): void {
  for (const platform of platforms) {
    describeAdapter(
      `@wsgate/nestjs on ${nest.label} with @nestjs/platform-${platform.name}`,
      (options: ContractOptions) =>
        startContractApp(
          nest,
          platform.createHttpAdapter(),
          options,
          (port) => `http://127.0.0.1:${port}`,
        ),
      { answersVia: ['error'], afterShutdown: 'stops listening' },
    );
  }
}

/** One of Nest's HTTP platforms on an HTTP/2 TLS server that also takes HTTP/1.1. */
export interface NestHttp2Platform {
  readonly name: string;
  createHttpAdapter(tls: H2ContractOptions['tls']): unknown;
}

/** The adapter contract's essential cases over HTTP/2 (describeAdapterOverHttp2). */
export function describeNestAdapterOverHttp2(
  nest: NestUnderTest,
  platforms: readonly NestHttp2Platform[],
): void {
  for (const platform of platforms) {
    describeAdapterOverHttp2(
      `@wsgate/nestjs on ${nest.label} with @nestjs/platform-${platform.name}`,
      ({ tls, ...options }) =>
        startContractApp(
          nest,
          platform.createHttpAdapter(tls),
          options,
          (port) => `https://127.0.0.1:${port}`,
        ),
    );
  }
}
