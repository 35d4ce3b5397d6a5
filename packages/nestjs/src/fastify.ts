import type { IncomingMessage, ServerResponse } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';

// --- types ------------------------------------------------------------------------------

/** The parts of a Fastify instance this reads (no dependency on fastify's typings). */
interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (
      request: { readonly raw: IncomingMessage },
      reply: { readonly raw: ServerResponse; hijack(): unknown },
      done: () => void,
    ) => void,
  ): unknown;
}

interface HttpAdapterLike {
  getType?(): string;
  getInstance?(): unknown;
}

/** Writes wsgate's answer to a plain request and says so, or leaves it to the app (false). */
export type PlainRequestAnswer = (request: IncomingMessage, response: ServerResponse) => boolean;

// --- hook -------------------------------------------------------------------------------

/**
 * On `@nestjs/platform-fastify`, answers wsgate's plain requests (426 on a gateway's path, the
 * refusal lookup) in a Fastify `onRequest` hook. Fastify's request handler also serves requests
 * that never pass through its Node server's 'request' event: `app.inject()`, and the second
 * server Fastify binds when `localhost` resolves to both 127.0.0.1 and ::1 (it forwards only the
 * upgrades of that server to the first). Returns false when the app is not on Fastify, or
 * Fastify no longer takes hooks (it is ready): the caller then intercepts 'request' events.
 */
export function answerInFastifyHook(
  app: INestApplicationContext | undefined,
  answer: PlainRequestAnswer,
): boolean {
  const getHttpAdapter = (app as { getHttpAdapter?: () => HttpAdapterLike } | undefined)
    ?.getHttpAdapter;
  const httpAdapter = getHttpAdapter?.call(app);
  if (httpAdapter?.getType?.() !== 'fastify') return false;
  const fastify = httpAdapter.getInstance?.() as FastifyLike | undefined;
  if (typeof fastify?.addHook !== 'function') return false;
  try {
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!answer(request.raw, reply.raw)) {
        done();
        return;
      }
      // Answered on the raw response: Fastify sends nothing more for this request.
      reply.hijack();
    });
  } catch {
    return false;
  }
  return true;
}
