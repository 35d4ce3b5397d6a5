import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CanActivate, ExecutionContext, INestApplication } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import {
  type ContractOptions,
  describeAdapter,
  type FrameworkAnswer,
  frameworkAnswerFor,
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
 * The adapter contract (packages/test-kit, describeAdapter) for a Nest major on each of its
 * HTTP platforms. The app's handshake middleware is a handshake guard: Nest's guards only raise
 * errors, so the table's rows that write a response of their own do not apply.
 */
export function describeNestAdapter(nest: NestUnderTest, platforms: readonly NestPlatform[]): void {
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

  for (const platform of platforms) {
    describeAdapter(
      `@wsgate/nestjs on ${nest.label} with @nestjs/platform-${platform.name}`,
      async (options: ContractOptions) => {
        const moduleRef = await nest.testing.Test.createTestingModule({
          providers: [EchoGateway],
          controllers: [HelloController],
        }).compile();
        const app: INestApplication = moduleRef.createNestApplication(
          platform.createHttpAdapter() as AbstractHttpAdapter,
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
        return { url: `http://127.0.0.1:${port}`, closeWebSockets: close, stop: close };
      },
      { answersVia: ['error'], afterShutdown: 'stops listening' },
    );
  }
}
