import type { AddressInfo } from 'node:net';
import type {
  CallHandler,
  CanActivate,
  ExecutionContext,
  INestApplication,
  PipeTransform,
} from '@nestjs/common';
import type { WsResponse } from '@nestjs/websockets';
import { from, map, type Observable, throwError } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WsgateClient } from '../src/index.js';
import type { NestUnderTest } from './behaviour-suite.js';
import { connect, finish, type TestClient } from './helpers.js';

/**
 * Whether the handler running now was called by Nest's context creator (guards, pipes,
 * interceptors, filters) or directly by the adapter: Nest's frame is on the stack when it calls.
 */
function calledByNest(): boolean {
  return new Error().stack?.includes('ws-context-creator') ?? false;
}

/**
 * A handler with no guard, pipe, interceptor or filter is called directly by the adapter; one
 * with any of them goes through Nest. Both give the same parameters, results and errors.
 */
export function describeDirectHandlers(nest: NestUnderTest): void {
  const { Catch, UseFilters, UseGuards, UseInterceptors, UsePipes } = nest.common;
  const { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WsException } =
    nest.websockets;

  class AllowGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      return context.switchToWs().getData<{ allow?: boolean }>()?.allow === true;
    }
  }

  class TrimPipe implements PipeTransform {
    transform(value: unknown): unknown {
      return typeof value === 'string' ? value.trim() : value;
    }
  }

  class WrapInterceptor {
    intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
      return next.handle().pipe(map((response) => ({ event: 'wrapped', data: response })));
    }
  }

  @Catch()
  class AnyFilter {
    catch(exception: Error, host: import('@nestjs/common').ArgumentsHost): void {
      host.switchToWs().getClient<WsgateClient>().emit('caught', exception.message);
    }
  }

  @WebSocketGateway({ path: '/direct' })
  class DirectGateway {
    @SubscribeMessage('plain')
    plain(@MessageBody() data: unknown, @ConnectedSocket() client: WsgateClient) {
      return {
        event: 'plain',
        data: { data, byNest: calledByNest(), path: client.handshake.path },
      };
    }

    /** No decorators: Nest passes (client, data). */
    @SubscribeMessage('bare')
    bare(client: WsgateClient, data: unknown) {
      return { event: 'bare', data: { data, path: client.handshake.path, byNest: calledByNest() } };
    }

    /** Param metadata present but empty: Nest passes its own (client, data, event, pattern). */
    @SubscribeMessage('raw')
    raw(...args: unknown[]) {
      return {
        event: 'raw',
        data: { count: args.length, rest: args.slice(1), byNest: calledByNest() },
      };
    }

    @SubscribeMessage('property')
    property(@MessageBody('name') name: unknown) {
      return { event: 'property', data: { name, byNest: calledByNest() } };
    }

    @SubscribeMessage('value')
    value() {
      return 42;
    }

    @SubscribeMessage('nothing')
    nothing(@ConnectedSocket() client: WsgateClient) {
      client.emit('side', calledByNest());
    }

    @SubscribeMessage('promise')
    async promise(@MessageBody() data: number) {
      await new Promise((resolve) => setImmediate(resolve));
      return { event: 'promise', data: data * 2 };
    }

    @SubscribeMessage('observable')
    observable(@MessageBody() upTo: number) {
      return from(Array.from({ length: upTo }, (_, i) => i)).pipe(
        map((n) => ({ event: 'item', data: n })),
      );
    }

    @SubscribeMessage('promised-observable')
    async promisedObservable() {
      return from([{ event: 'item', data: 'a' }]);
    }

    @SubscribeMessage('ws-exception')
    wsException(): never {
      throw new WsException('no such room');
    }

    @SubscribeMessage('crash')
    crash(): never {
      throw new Error('secret detail');
    }

    @SubscribeMessage('reject')
    async reject(): Promise<never> {
      throw new WsException({ reason: 'later' });
    }

    @SubscribeMessage('observable-error')
    observableError() {
      return throwError(() => new WsException('stream broke'));
    }

    @SubscribeMessage('topic-refusal')
    async topicRefusal(@ConnectedSocket() client: WsgateClient) {
      await client.join('');
    }

    @UseGuards(AllowGuard)
    @SubscribeMessage('guarded')
    guarded(): WsResponse<boolean> {
      return { event: 'guarded', data: calledByNest() };
    }

    @UsePipes(TrimPipe)
    @SubscribeMessage('piped')
    piped(@MessageBody() text: string): WsResponse<unknown> {
      return { event: 'piped', data: { text, byNest: calledByNest() } };
    }

    @SubscribeMessage('param-piped')
    paramPiped(@MessageBody(new TrimPipe()) text: string): WsResponse<unknown> {
      return { event: 'param-piped', data: { text, byNest: calledByNest() } };
    }

    @UseInterceptors(WrapInterceptor)
    @SubscribeMessage('intercepted')
    intercepted(): boolean {
      return calledByNest();
    }

    @UseFilters(new AnyFilter())
    @SubscribeMessage('filtered')
    filtered(): never {
      throw new Error(calledByNest() ? 'through Nest' : 'direct');
    }
  }

  Reflect.defineMetadata('__routeArguments__', {}, DirectGateway, 'raw');

  describe(`@wsgate/nestjs on ${nest.label}: handlers without enhancers are called directly`, () => {
    let app: INestApplication;
    let client: TestClient;
    beforeAll(async () => {
      const moduleRef = await nest.testing.Test.createTestingModule({
        providers: [DirectGateway],
      }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      app.useWebSocketAdapter(new nest.adapter.WsgateAdapter(app));
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      client = await connect(`ws://127.0.0.1:${port}/direct`);
    });
    afterAll(async () => {
      if (client !== undefined) await finish(client);
      await app?.close();
    });

    it('calls a plain handler directly, with @MessageBody() and @ConnectedSocket()', async () => {
      client.emit('plain', { a: 1 });
      expect((await client.next()).json).toEqual({
        event: 'plain',
        data: { data: { a: 1 }, byNest: false, path: '/direct' },
      });
    });

    it("gives an undecorated handler Nest's (client, data), and @MessageBody('name') the property", async () => {
      client.emit('bare', 'x');
      expect((await client.next()).json).toEqual({
        event: 'bare',
        data: { data: 'x', path: '/direct', byNest: false },
      });
      client.emit('property', { name: 'ada', other: 1 });
      expect((await client.next()).json).toEqual({
        event: 'property',
        data: { name: 'ada', byNest: false },
      });
    });

    it("gives a handler with empty param metadata Nest's own arguments", async () => {
      client.emit('raw', 7);
      expect((await client.next()).json).toEqual({
        event: 'raw',
        data: { count: 4, rest: [7, 'raw', 'raw'], byNest: false },
      });
    });

    it('sends a plain value as JSON and nothing for undefined', async () => {
      client.emit('value');
      expect((await client.next()).text).toBe('42');
      client.emit('nothing');
      expect((await client.next()).json).toEqual({ event: 'side', data: false });
    });

    it("sends a Promise's value, every value of an Observable, and an Observable a Promise resolves to", async () => {
      client.emit('promise', 21);
      expect((await client.next()).json).toEqual({ event: 'promise', data: 42 });
      client.emit('observable', 3);
      const items = [await client.next(), await client.next(), await client.next()];
      expect(items.map((item) => item.json.data)).toEqual([0, 1, 2]);
      client.emit('promised-observable');
      expect((await client.next()).json).toEqual({ event: 'item', data: 'a' });
    });

    it("reports errors as Nest's exception filter does: WsException, its object, a crash, an Observable's error", async () => {
      client.emit('ws-exception');
      expect((await client.next()).json.data).toMatchObject({
        code: 'WSG_POLICY_VIOLATION',
        message: 'no such room',
        pattern: 'ws-exception',
      });
      client.emit('reject');
      expect((await client.next()).json.data).toMatchObject({
        code: 'WSG_POLICY_VIOLATION',
        details: { reason: 'later' },
      });
      client.emit('crash');
      const crash = await client.next();
      expect(crash.json.data).toMatchObject({
        code: 'WSG_INTERNAL_ERROR',
        message: 'Internal server error',
        pattern: 'crash',
      });
      expect(crash.text).not.toContain('secret');
      client.emit('observable-error');
      expect((await client.next()).json.data).toMatchObject({
        code: 'WSG_POLICY_VIOLATION',
        message: 'stream broke',
      });
    });

    it("reports a topic call's refusal by its code", async () => {
      client.emit('topic-refusal');
      expect((await client.next()).json.data).toMatchObject({
        code: 'WSG_TOPIC_INVALID',
        pattern: 'topic-refusal',
      });
    });

    it('runs a guard through Nest, and refuses as Nest does', async () => {
      client.emit('guarded', { allow: true });
      expect((await client.next()).json).toEqual({ event: 'guarded', data: true });
      client.emit('guarded', { allow: false });
      expect((await client.next()).json.data).toMatchObject({
        code: 'WSG_POLICY_VIOLATION',
        message: 'Forbidden resource',
      });
    });

    it("runs a handler's pipes, a parameter's pipes and an interceptor through Nest", async () => {
      client.emit('piped', '  padded  ');
      expect((await client.next()).json).toEqual({
        event: 'piped',
        data: { text: 'padded', byNest: true },
      });
      client.emit('param-piped', '  padded  ');
      expect((await client.next()).json).toEqual({
        event: 'param-piped',
        data: { text: 'padded', byNest: true },
      });
      client.emit('intercepted');
      expect((await client.next()).json).toEqual({ event: 'wrapped', data: true });
    });

    it('lets a handler with an exception filter answer through Nest', async () => {
      client.emit('filtered');
      expect((await client.next()).json).toEqual({ event: 'caught', data: 'through Nest' });
    });
  });
}
