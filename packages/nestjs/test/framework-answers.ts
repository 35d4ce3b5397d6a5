import type { AddressInfo } from 'node:net';
import type { CanActivate, ExecutionContext, INestApplication } from '@nestjs/common';
import { RefusalJournal } from '@wsgate/core';
import { type FrameworkAnswer, frameworkAnswerFor, frameworkAnswerSuite } from '@wsgate/test-kit';
import { afterAll, beforeAll, describe } from 'vitest';
import type { NestUnderTest } from './behaviour-suite.js';

/**
 * The shared table of framework answers (packages/test-kit), produced by a handshake guard:
 * an HttpException with the row's status (and `headers`, which core passes through), or a plain
 * Error for the row without a status. Nest's guards only raise errors, so only those rows apply.
 */
export function nestFrameworkAnswerSuite(nest: NestUnderTest): void {
  const { HttpException } = nest.common;

  function exceptionFor(row: FrameworkAnswer): Error {
    if (row.status === undefined) return new Error(row.message ?? 'refused by the app');
    return Object.assign(new HttpException(row.message ?? 'refused by the app', row.status), {
      headers: row.headers,
    });
  }

  class AnswerGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const row = frameworkAnswerFor(context.switchToHttp().getRequest<{ url?: string }>().url);
      if (row !== undefined) throw exceptionFor(row);
      return true;
    }
  }

  class AnswersGateway {}
  nest.websockets.WebSocketGateway({ path: '/answers', handshakeGuards: [new AnswerGuard()] })(
    AnswersGateway,
  );

  describe(`@wsgate/nestjs on ${nest.label}: handshake guards`, () => {
    let app: INestApplication;
    let port = 0;
    beforeAll(async () => {
      const moduleRef = await nest.testing.Test.createTestingModule({
        providers: [AnswersGateway],
      }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      // A journal of its own: lookups are rate-limited per address in each journal.
      app.useWebSocketAdapter(
        new nest.adapter.WsgateAdapter(app, { refusalJournal: new RefusalJournal() }),
      );
      await app.listen(0, '127.0.0.1');
      port = (app.getHttpServer().address() as AddressInfo).port;
    });
    afterAll(async () => {
      await app?.close();
    });

    frameworkAnswerSuite(
      nest.label,
      async () => ({ port, path: '/answers', close: async () => {} }),
      { via: ['error'] },
    );
  });
}
