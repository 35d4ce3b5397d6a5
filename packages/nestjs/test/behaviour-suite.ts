import { spawn } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type * as NestCommon from '@nestjs/common';
import type {
  ArgumentsHost,
  CallHandler,
  CanActivate,
  ExecutionContext,
  INestApplication,
  PipeTransform,
} from '@nestjs/common';
import type * as NestTesting from '@nestjs/testing';
import type * as NestWebsockets from '@nestjs/websockets';
import type {
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  WsResponse,
} from '@nestjs/websockets';
import type * as Core from '@wsgate/core';
import type { HandshakeRequest, LogEvent } from '@wsgate/core';
import { rawRequest, waitFor } from '@wsgate/test-kit';
import { from, map, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Adapter from '../src/index.js';
import type { WsgateAdapterOptions, WsgateClient, WsgateServer } from '../src/index.js';
import { connect, finish, freePort, refusedStatus, type TestClient } from './helpers.js';

/** The Nest major under test, and the build of the adapter its users load. */
export interface NestUnderTest {
  readonly label: string;
  readonly common: typeof NestCommon;
  readonly websockets: typeof NestWebsockets;
  readonly testing: typeof NestTesting;
  readonly adapter: typeof Adapter;
  readonly core: Pick<typeof Core, 'WsgateError' | 'MemoryBackplane'>;
  readonly major: number;
  /** For the app run as its own process: where its Nest resolves from, and the adapter build. */
  readonly process: { readonly packageDir: string; readonly adapterEntry: string };
}

interface RunningApp {
  readonly app: INestApplication;
  readonly adapter: Adapter.WsgateAdapter;
  readonly port: number;
  ws(path: string): string;
  http(path: string): string;
}

/**
 * What @wsgate/nestjs promises, against a real Nest application over real sockets. Written
 * once, run for every supported Nest major with that major's own packages.
 */
export function adapterBehaviourSuite(nest: NestUnderTest): void {
  const { Catch, Controller, Get, Injectable, UnauthorizedException, UseFilters } = nest.common;
  const { UseGuards, UseInterceptors } = nest.common;
  const { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } =
    nest.websockets;
  const { WsException } = nest.websockets;
  const { WsgateAdapter } = nest.adapter;

  async function start(
    providers: unknown[],
    options: WsgateAdapterOptions = {},
    controllers: unknown[] = [],
  ): Promise<RunningApp> {
    const moduleRef = await nest.testing.Test.createTestingModule({
      providers: providers as NestCommon.Provider[],
      controllers: controllers as NestCommon.Type[],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const adapter = new WsgateAdapter(app, options);
    app.useWebSocketAdapter(adapter);
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return {
      app,
      adapter,
      port,
      ws: (path) => `ws://127.0.0.1:${port}${path}`,
      http: (path) => `http://127.0.0.1:${port}${path}`,
    };
  }

  // --- the application under test ---------------------------------------------------

  @Injectable()
  class Greeter {
    greet(name: unknown): string {
      return `hello ${String(name)}`;
    }
  }

  @Injectable()
  class TokenService {
    userFor(token: string | undefined): string | undefined {
      return token === 'letmein' ? 'ada' : undefined;
    }
  }

  /** Runs before the 101: reads the token from the query, as an HTTP guard would. */
  @Injectable()
  class TokenGuard implements CanActivate {
    constructor(private readonly tokens: TokenService) {}
    canActivate(context: ExecutionContext): boolean {
      const request = context
        .switchToHttp()
        .getRequest<IncomingMessage & { query: Record<string, string>; user?: string }>();
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const token = bearer ?? request.query.token;
      if (token === undefined) throw new UnauthorizedException('a token is required');
      const user = this.tokens.userFor(token);
      if (user === undefined) return false;
      request.user = user;
      return true;
    }
  }

  class AdminGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      return context.switchToWs().getData<{ password?: string }>()?.password === 'open sesame';
    }
  }

  class ShoutPipe implements PipeTransform {
    transform(value: unknown): string {
      if (typeof value !== 'string') throw new WsException('text must be a string');
      return value.toUpperCase();
    }
  }

  class StampInterceptor {
    intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
      return next.handle().pipe(
        map((response: WsResponse<Record<string, unknown>>) => ({
          ...response,
          data: { ...response.data, stamped: true },
        })),
      );
    }
  }

  @Catch(WsException)
  class QuotaFilter {
    catch(exception: Error, host: ArgumentsHost): void {
      host.switchToWs().getClient<WsgateClient>().emit('quota', { reason: exception.message });
    }
  }

  @Controller()
  class HelloController {
    @Get('hello')
    hello(): string {
      return 'hi';
    }
  }

  @WebSocketGateway({ path: '/alpha' })
  class AlphaGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
    @WebSocketServer() server!: WsgateServer;
    initServer: WsgateServer | undefined;

    constructor(private readonly greeter: Greeter) {}

    afterInit(server: WsgateServer): void {
      this.initServer = server;
    }

    handleConnection(client: WsgateClient, request: IncomingMessage): void {
      client.data.watches = client.handshake.query.has('watch');
      client.emit('welcome', { url: request.url, sameServer: this.initServer === this.server });
    }

    /** Tells the clients that asked (`?watch`) who left, with the close code. */
    handleDisconnect(client: WsgateClient, reason?: string): void {
      const watchers = [...this.server.clients].filter((other) => other.data.watches);
      for (const watcher of watchers) {
        watcher.emit('left', { code: client.closeCode, reason, watchers: watchers.length });
      }
    }

    @SubscribeMessage('greet')
    greet(@MessageBody() name: string): WsResponse<string> {
      return { event: 'greeting', data: this.greeter.greet(name) };
    }

    @SubscribeMessage('whoami')
    whoami(@ConnectedSocket() client: WsgateClient): WsResponse<unknown> {
      return {
        event: 'you',
        data: { path: client.handshake.path, tag: client.handshake.query.get('tag') },
      };
    }

    @SubscribeMessage('count')
    count(@MessageBody() upTo: number): Observable<WsResponse<number>> {
      return from(Array.from({ length: upTo }, (_, i) => i + 1)).pipe(
        map((n) => ({ event: 'counted', data: n })),
      );
    }

    @SubscribeMessage('later')
    async later(): Promise<WsResponse<boolean>> {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { event: 'later', data: true };
    }

    @SubscribeMessage('announce')
    announce(@MessageBody() text: string): void {
      this.server.emit('announcement', text);
    }
  }

  /** A second gateway on the same path: Nest shares the server, events from both apply. */
  @WebSocketGateway({ path: '/alpha' })
  class AlphaExtrasGateway {
    @SubscribeMessage('extra')
    extra(): WsResponse<string> {
      return { event: 'extra', data: 'from the second gateway' };
    }
  }

  @WebSocketGateway({ path: 'beta/' })
  class BetaGateway {
    @SubscribeMessage('greet')
    greet(): WsResponse<string> {
      return { event: 'greeting', data: 'beta says hi' };
    }
  }

  @WebSocketGateway({ path: '/pipeline' })
  class PipelineGateway {
    @SubscribeMessage('fail')
    fail(@MessageBody() text: string): never {
      throw new WsException(text);
    }

    @SubscribeMessage('fail-object')
    failObject(): never {
      throw new WsException({ reason: 'quota', remaining: 0 });
    }

    @SubscribeMessage('crash')
    crash(): never {
      throw new Error('the database exploded');
    }

    @UseGuards(AdminGuard)
    @SubscribeMessage('admin')
    admin(): WsResponse<string> {
      return { event: 'admin', data: 'welcome, admin' };
    }

    @SubscribeMessage('shout')
    shout(@MessageBody(new ShoutPipe()) text: string): WsResponse<string> {
      return { event: 'shouted', data: text };
    }

    @UseInterceptors(StampInterceptor)
    @SubscribeMessage('stamp')
    stamp(): WsResponse<Record<string, unknown>> {
      return { event: 'stamped', data: { by: 'handler' } };
    }

    @UseFilters(new QuotaFilter())
    @SubscribeMessage('filtered')
    filtered(): never {
      throw new WsException('over quota');
    }

    @SubscribeMessage('ok')
    ok(): WsResponse<string> {
      return { event: 'ok', data: 'still here' };
    }
  }

  @WebSocketGateway({
    path: '/secure',
    handshakeGuards: [TokenGuard],
    wwwAuthenticate: 'Bearer realm="secure"',
  })
  class SecureGateway {
    @SubscribeMessage('whoami')
    whoami(@ConnectedSocket() client: WsgateClient): WsResponse<unknown> {
      return { event: 'you', data: (client.request as IncomingMessage & { user?: string }).user };
    }
  }

  @WebSocketGateway({
    path: '/hooked',
    verifyUpgrade: (request: HandshakeRequest) =>
      request.headers['x-api-key'] === 'k'
        ? undefined
        : {
            refuse: 'WSG_AUTH_REQUIRED' as const,
            detail: 'send the X-Api-Key header',
            headers: { 'WWW-Authenticate': 'ApiKey' },
          },
  })
  class HookedGateway {}

  class ExplodingGuard implements CanActivate {
    canActivate(): boolean {
      throw new Error('secret connection string leaked');
    }
  }

  class BusyGuard implements CanActivate {
    canActivate(): boolean {
      throw new nest.core.WsgateError('WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT', {
        detail: 'one connection per user',
      });
    }
  }

  @WebSocketGateway({ path: '/exploding', handshakeGuards: [new ExplodingGuard()] })
  class ExplodingGateway {}

  @WebSocketGateway({ path: '/busy', handshakeGuards: [BusyGuard] })
  class BusyGateway {}

  @WebSocketGateway({
    path: '/origin',
    cors: { origin: ['http://good.example', /\.trusted\.example$/] },
  })
  class OriginGateway {}

  @WebSocketGateway({ path: '/listed', origins: ['http://good.example'] })
  class ListedOriginGateway {}

  /** Lifecycle hooks that fail on request: `?fail=sync|async`, `?leave=fail`. */
  @WebSocketGateway({ path: '/fragile' })
  class FragileGateway implements OnGatewayConnection, OnGatewayDisconnect {
    async handleConnection(client: WsgateClient): Promise<void> {
      const fail = client.handshake.query.get('fail');
      if (fail === 'sync') throw new Error('handleConnection broke: secret sync detail');
      if (fail === 'async') {
        await new Promise((resolve) => setTimeout(resolve, 10));
        throw new Error('handleConnection broke: secret async detail');
      }
      client.emit('ready');
    }

    handleDisconnect(client: WsgateClient): void {
      if (client.handshake.query.get('leave') === 'fail') throw new Error('handleDisconnect broke');
    }

    @SubscribeMessage('ping')
    ping(): WsResponse<string> {
      return { event: 'pong', data: 'alive' };
    }
  }

  @WebSocketGateway({ path: '/strict', closeOnError: true })
  class StrictGateway {
    @SubscribeMessage('ok')
    ok(): WsResponse<string> {
      return { event: 'ok', data: 'strict' };
    }
  }

  const gateways = [
    StrictGateway,
    Greeter,
    TokenService,
    TokenGuard,
    AlphaGateway,
    AlphaExtrasGateway,
    BetaGateway,
    PipelineGateway,
    SecureGateway,
    HookedGateway,
    ExplodingGateway,
    BusyGateway,
    OriginGateway,
    ListedOriginGateway,
    FragileGateway,
  ];

  // --- tests ------------------------------------------------------------------------

  describe(`@wsgate/nestjs on ${nest.label}`, () => {
    let running: RunningApp;
    const logs: LogEvent[] = [];
    beforeAll(async () => {
      running = await start(gateways, { onLog: (event) => logs.push(event) }, [HelloController]);
    });
    afterAll(async () => {
      await running?.app.close();
    });

    describe('gateways keep their Nest habits', () => {
      it('calls afterInit with the server @WebSocketServer() injects, and handleConnection with the upgrade request', async () => {
        const client = await connect(running.ws('/alpha?tag=x'));
        const welcome = await client.next();
        expect(welcome.json).toEqual({
          event: 'welcome',
          data: { url: '/alpha?tag=x', sameServer: true },
        });
        await finish(client);
      });

      it('sends a WsResponse back as { event, data } and injects providers into gateways', async () => {
        const client = await connect(running.ws('/alpha'));
        await client.next();
        client.emit('greet', 'Ada');
        expect((await client.next()).json).toEqual({ event: 'greeting', data: 'hello Ada' });
        await finish(client);
      });

      it('gives @ConnectedSocket() the client, with its handshake', async () => {
        const client = await connect(running.ws('/alpha?tag=blue'));
        await client.next();
        client.emit('whoami');
        expect((await client.next()).json).toEqual({
          event: 'you',
          data: { path: '/alpha', tag: 'blue' },
        });
        await finish(client);
      });

      it('sends every value of an Observable, and the value of a Promise', async () => {
        const client = await connect(running.ws('/alpha'));
        await client.next();
        client.emit('count', 3);
        const counted = [await client.next(), await client.next(), await client.next()];
        expect(counted.map((m) => m.json)).toEqual([
          { event: 'counted', data: 1 },
          { event: 'counted', data: 2 },
          { event: 'counted', data: 3 },
        ]);
        client.emit('later');
        expect((await client.next()).json).toEqual({ event: 'later', data: true });
        await finish(client);
      });

      it('broadcasts with server.emit and calls handleDisconnect with the close code', async () => {
        const ada = await connect(running.ws('/alpha?watch'));
        await ada.next();
        const bob = await connect(running.ws('/alpha'));
        await bob.next();
        bob.emit('announce', 'hello everyone');
        expect((await ada.nextEvent('announcement')).json.data).toBe('hello everyone');
        expect((await bob.nextEvent('announcement')).json.data).toBe('hello everyone');
        bob.socket.close(4001);
        expect((await ada.nextEvent('left')).json.data).toEqual({
          code: 4001,
          // Nest 12 passes a reason to handleDisconnect (the close code); Nest 11 the client only.
          ...(nest.major >= 12 ? { reason: '4001' } : {}),
          watchers: 1,
        });
        await finish(ada);
      });

      it('serves several gateways on one HTTP server by path, and merges gateways that share a path', async () => {
        const alpha = await connect(running.ws('/alpha'));
        await alpha.next();
        const beta = await connect(running.ws('/beta'));
        alpha.emit('extra');
        beta.emit('greet');
        expect((await alpha.nextEvent('extra')).json.data).toBe('from the second gateway');
        expect((await beta.next()).json).toEqual({ event: 'greeting', data: 'beta says hi' });
        await finish(alpha, beta);
      });

      it('runs message guards, pipes and interceptors', async () => {
        const client = await connect(running.ws('/pipeline'));
        client.emit('shout', 'quiet please');
        expect((await client.next()).json).toEqual({ event: 'shouted', data: 'QUIET PLEASE' });
        client.emit('stamp');
        expect((await client.next()).json).toEqual({
          event: 'stamped',
          data: { by: 'handler', stamped: true },
        });
        client.emit('admin', { password: 'open sesame' });
        expect((await client.next()).json).toEqual({ event: 'admin', data: 'welcome, admin' });
        client.emit('admin', { password: 'guess' });
        expect((await client.next()).json.data).toMatchObject({
          code: 'WSG_POLICY_VIOLATION',
          message: 'Forbidden resource',
        });
        await finish(client);
      });

      it('lets an exception filter answer instead of the adapter', async () => {
        const client = await connect(running.ws('/pipeline'));
        client.emit('filtered');
        expect((await client.next()).json).toEqual({
          event: 'quota',
          data: { reason: 'over quota' },
        });
        await finish(client);
      });
    });

    describe('refusals before the 101 are precise', () => {
      it('serves a path written without its leading slash, and refuses a trailing slash with 404', async () => {
        const beta = await connect(running.ws('/beta'));
        await finish(beta);
        const response = await rawRequest(running.port, { path: '/beta/' });
        expect(response.status).toBe(404);
        expect(response.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
      });

      it('refuses an Origin outside cors.origin with 403 WSG_ORIGIN_REFUSED, not 401', async () => {
        const response = await rawRequest(running.port, {
          path: '/origin',
          headers: { Origin: 'http://evil.example', Accept: 'application/json' },
        });
        expect(response.status).toBe(403);
        expect(response.headers['x-wsgate-error']).toBe('WSG_ORIGIN_REFUSED');
        expect(JSON.parse(response.body).error).toMatchObject({
          code: 'WSG_ORIGIN_REFUSED',
          detail: 'Origin http://evil.example is not allowed',
        });
      });

      it('accepts a listed Origin, a matching pattern, and a request without Origin', async () => {
        for (const origin of ['http://good.example', 'https://app.trusted.example']) {
          const client = await connect(running.ws('/origin'), { origin });
          await finish(client);
        }
        const noOrigin = await rawRequest(running.port, { path: '/origin', timeoutMs: 500 });
        expect(noOrigin.status).toBe(101);
      });

      it('refuses a handshake guard that throws UnauthorizedException with 401 and WWW-Authenticate', async () => {
        const response = await rawRequest(running.port, { path: '/secure' });
        expect(response.status).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="secure"');
        expect(response.headers['x-wsgate-error']).toBe('WSG_AUTH_REQUIRED');
        expect(response.body).toContain('a token is required');
      });

      it('refuses a handshake guard that returns false with 403 WSG_FORBIDDEN', async () => {
        const response = await rawRequest(running.port, { path: '/secure?token=wrong' });
        expect(response.status).toBe(403);
        expect(response.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
        expect(response.body).toContain('TokenGuard refused the handshake');
      });

      it('accepts when the handshake guard does, and keeps what it put on the request', async () => {
        const client = await connect(running.ws('/secure?token=letmein'));
        client.emit('whoami');
        expect((await client.next()).json).toEqual({ event: 'you', data: 'ada' });
        await finish(client);
      });

      it('lets a handshake guard read the Authorization header', async () => {
        const refused = await rawRequest(running.port, {
          path: '/secure',
          headers: { Authorization: 'Bearer wrong' },
        });
        expect(refused.status).toBe(403);
        expect(refused.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
        const client = await connect(running.ws('/secure'), {
          headers: { Authorization: 'Bearer letmein' },
        });
        client.emit('whoami');
        expect((await client.next()).json).toEqual({ event: 'you', data: 'ada' });
        await finish(client);
      });

      it("refuses an Origin outside a gateway's origins with 403, and accepts a listed one", async () => {
        const refused = await rawRequest(running.port, {
          path: '/listed',
          headers: { Origin: 'http://evil.example' },
        });
        expect(refused.status).toBe(403);
        expect(refused.headers['x-wsgate-error']).toBe('WSG_ORIGIN_REFUSED');
        expect(refused.closedByServer).toBe(true);
        const listed = await connect(running.ws('/listed'), { origin: 'http://good.example' });
        await finish(listed);
      });

      it("refuses with a verifyUpgrade hook's status, code and headers", async () => {
        const refused = await rawRequest(running.port, { path: '/hooked' });
        expect(refused.status).toBe(401);
        expect(refused.headers['www-authenticate']).toBe('ApiKey');
        expect(refused.body).toContain('send the X-Api-Key header');
        const accepted = await connect(running.ws('/hooked'), { headers: { 'X-Api-Key': 'k' } });
        await finish(accepted);
      });

      it("answers a guard's WsgateError with its code and status", async () => {
        const response = await rawRequest(running.port, { path: '/busy' });
        expect(response.status).toBe(503);
        expect(response.headers['x-wsgate-error']).toBe('WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT');
        expect(response.headers['retry-after']).toBe('5');
      });

      it('answers a guard that crashes with 500 WSG_HOOK_FAILED, without the error text', async () => {
        const response = await rawRequest(running.port, { path: '/exploding' });
        expect(response.status).toBe(500);
        expect(response.headers['x-wsgate-error']).toBe('WSG_HOOK_FAILED');
        expect(response.body).not.toContain('secret');
      });

      it('reports the refusal status to a ws client (no hung socket)', async () => {
        expect(await refusedStatus(running.ws('/gamma'))).toBe(404);
        expect(await refusedStatus(running.ws('/secure'))).toBe(401);
      });
    });

    describe('errors after the upgrade reach the client', () => {
      let client: TestClient;
      beforeAll(async () => {
        client = await connect(running.ws('/pipeline'));
      });
      afterAll(() => finish(client));

      it('answers a message that is not JSON with WSG_MESSAGE_MALFORMED', async () => {
        client.socket.send('hello there');
        const { json } = await client.next();
        expect(json.event).toBe('error');
        expect(json.data.code).toBe('WSG_MESSAGE_MALFORMED');
        expect(json.data.message).toMatch(/^the message is not JSON/);
        // The catalogue's advice names the shape, not an event this gateway may not have.
        expect(json.data.fix).toContain('{"event":"NAME"');
        expect(json.data.fix).not.toContain('join');
      });

      it('answers JSON without an event with WSG_MESSAGE_MALFORMED', async () => {
        client.socket.send(JSON.stringify({ data: 1 }));
        expect((await client.next()).json.data).toMatchObject({
          code: 'WSG_MESSAGE_MALFORMED',
          message: 'the message has no "event" string',
        });
      });

      it('answers an event no handler subscribes to with WSG_EVENT_UNHANDLED, naming the known ones', async () => {
        client.emit('nope');
        const { data } = (await client.next()).json;
        expect(data.code).toBe('WSG_EVENT_UNHANDLED');
        expect(data.pattern).toBe('nope');
        expect(data.message).toContain('no handler for "nope"');
        expect(data.message).toContain('"shout"');
      });

      it('sends a WsException as WSG_POLICY_VIOLATION with its message and event', async () => {
        client.emit('fail', 'that is not allowed');
        expect((await client.next()).json).toEqual({
          event: 'error',
          data: {
            code: 'WSG_POLICY_VIOLATION',
            message: 'that is not allowed',
            fix: expect.any(String),
            pattern: 'fail',
          },
        });
      });

      it("keeps a WsException's error object in details", async () => {
        client.emit('fail-object');
        expect((await client.next()).json.data).toMatchObject({
          code: 'WSG_POLICY_VIOLATION',
          details: { reason: 'quota', remaining: 0 },
        });
      });

      it('sends an unhandled error as WSG_INTERNAL_ERROR without its text', async () => {
        client.emit('crash');
        const { text, json } = await client.next();
        expect(json.data).toMatchObject({
          code: 'WSG_INTERNAL_ERROR',
          message: 'Internal server error',
          pattern: 'crash',
        });
        expect(text).not.toContain('exploded');
      });

      it('answers a pipe that refuses the body with its WsException', async () => {
        client.emit('shout', 42);
        expect((await client.next()).json.data).toMatchObject({
          code: 'WSG_POLICY_VIOLATION',
          message: 'text must be a string',
        });
      });

      it('keeps the connection open after each of these by default', async () => {
        client.emit('ok');
        expect((await client.next()).json).toEqual({ event: 'ok', data: 'still here' });
      });
    });

    describe('errors in lifecycle hooks neither crash the app nor pass silently', () => {
      for (const fail of ['sync', 'async'] as const) {
        it(`sends the error message and closes 1011 when handleConnection fails (${fail}), and logs it`, async () => {
          const client = await connect(running.ws(`/fragile?fail=${fail}`));
          const { text, json } = await client.next();
          expect(json).toEqual({
            event: 'error',
            data: {
              code: 'WSG_INTERNAL_ERROR',
              message: 'Internal server error',
              fix: expect.any(String),
            },
          });
          expect(text).not.toContain('secret');
          const { code, reason } = await client.closed;
          expect(code).toBe(1011);
          expect(reason).toMatch(/^WSG_INTERNAL_ERROR/);
          expect(logs).toContainEqual(
            expect.objectContaining({
              event: 'wsgate.connection.handler_failed',
              code: 'WSG_INTERNAL_ERROR',
              path: '/fragile',
              detail: expect.stringContaining(
                `FragileGateway.handleConnection threw: Error: handleConnection broke: secret ${fail} detail`,
              ),
            }),
          );
          const healthy = await connect(running.ws('/fragile'));
          expect((await healthy.next()).json).toEqual({ event: 'ready' });
          healthy.emit('ping');
          expect((await healthy.next()).json).toEqual({ event: 'pong', data: 'alive' });
          await finish(healthy);
        });
      }

      it('logs an error thrown by handleDisconnect, and keeps serving', async () => {
        const client = await connect(running.ws('/fragile?leave=fail'));
        await client.next();
        await finish(client);
        // handleDisconnect runs once the server has seen the close, after the client's close.
        await waitFor(
          () => logs.some((event) => event.detail?.includes('handleDisconnect threw') === true),
          { timeoutMs: 3_000, what: 'the handleDisconnect failure to be logged' },
        );
        expect(logs).toContainEqual(
          expect.objectContaining({
            event: 'wsgate.connection.handler_failed',
            detail: expect.stringContaining('FragileGateway.handleDisconnect threw'),
          }),
        );
        const next = await connect(running.ws('/fragile'));
        expect((await next.next()).json).toEqual({ event: 'ready' });
        await finish(next);
      });
    });

    it('closes with 1008 WSG_MESSAGE_MALFORMED where the gateway sets closeOnError: true', async () => {
      const client = await connect(running.ws('/strict'));
      client.socket.send('not json');
      expect((await client.next()).json.data.code).toBe('WSG_MESSAGE_MALFORMED');
      const { code, reason } = await client.closed;
      expect(code).toBe(1008);
      expect(reason).toMatch(/^WSG_MESSAGE_MALFORMED/);
    });
  });

  describe(`@wsgate/nestjs on ${nest.label}, configured to close on errors`, () => {
    let running: RunningApp;
    beforeAll(async () => {
      running = await start([PipelineGateway], {
        closeOnError: { internal: true, exception: true },
        refusePlainRequests: false,
        messageParser: (data: string | Buffer) => {
          const text = data.toString();
          const colon = text.indexOf(':');
          if (colon === -1) throw new Error('write event:data');
          return { event: text.slice(0, colon), data: text.slice(colon + 1) };
        },
      });
    });
    afterAll(async () => {
      await running?.app.close();
    });

    it("reads messages with the adapter's parser, and reports what it throws", async () => {
      const client = await connect(running.ws('/pipeline'));
      client.socket.send('shout:parsed');
      expect((await client.next()).json).toEqual({ event: 'shouted', data: 'PARSED' });
      client.socket.send('no colon here');
      expect((await client.next()).json.data).toMatchObject({
        code: 'WSG_MESSAGE_MALFORMED',
        message: 'write event:data',
      });
      client.socket.send('ok:');
      expect((await client.next()).json.event).toBe('ok');
      await finish(client);
    });

    it('closes with 1011 WSG_INTERNAL_ERROR after the error message of an unhandled error', async () => {
      const client = await connect(running.ws('/pipeline'));
      client.socket.send('crash:');
      expect((await client.next()).json.data.code).toBe('WSG_INTERNAL_ERROR');
      const { code, reason } = await client.closed;
      expect(code).toBe(1011);
      expect(reason).toMatch(/^WSG_INTERNAL_ERROR/);
    });

    it("lets the app's router answer plain requests when refusePlainRequests is false", async () => {
      const response = await fetch(running.http('/pipeline'));
      expect(response.status).toBe(404);
      expect(response.headers.get('x-wsgate-error')).toBeNull();
    });

    it('closes with 1008 WSG_POLICY_VIOLATION after the error message of a WsException', async () => {
      const client = await connect(running.ws('/pipeline'));
      client.socket.send('fail:no');
      expect((await client.next()).json.data).toMatchObject({
        code: 'WSG_POLICY_VIOLATION',
        message: 'no',
      });
      const { code, reason } = await client.closed;
      expect(code).toBe(1008);
      expect(reason).toMatch(/^WSG_POLICY_VIOLATION/);
    });

    it('switches parsers with setMessageParser, as WsAdapter does', async () => {
      running.adapter.setMessageParser((data: string | Buffer) => ({
        event: data.toString().trim(),
      }));
      const client = await connect(running.ws('/pipeline'));
      client.socket.send('  ok  ');
      expect((await client.next()).json).toEqual({ event: 'ok', data: 'still here' });
      await finish(client);
    });
  });

  describe(`@wsgate/nestjs on ${nest.label}: a gateway on its own port, and shutdown`, () => {
    let running: RunningApp;
    let ownPort: number;
    beforeAll(async () => {
      ownPort = await freePort();

      @WebSocketGateway(ownPort, { path: '/own', host: '127.0.0.1' })
      class OwnPortGateway {
        @SubscribeMessage('where')
        where(@ConnectedSocket() client: WsgateClient): WsResponse<string> {
          return { event: 'here', data: String(client.handshake.headers.host) };
        }
      }

      @WebSocketGateway(ownPort, { path: '/own-too', host: '127.0.0.1' })
      class OwnPortNeighbourGateway {
        @SubscribeMessage('where')
        where(): WsResponse<string> {
          return { event: 'here', data: 'the neighbour' };
        }
      }

      running = await start([Greeter, AlphaGateway, OwnPortGateway, OwnPortNeighbourGateway]);
    });
    afterAll(async () => {
      await running?.app.close();
    });

    it('serves gateways on their own port, by path', async () => {
      const own = await connect(`ws://127.0.0.1:${ownPort}/own`);
      own.emit('where');
      expect((await own.next()).json).toEqual({ event: 'here', data: `127.0.0.1:${ownPort}` });
      const neighbour = await connect(`ws://127.0.0.1:${ownPort}/own-too`);
      neighbour.emit('where');
      expect((await neighbour.next()).json).toEqual({ event: 'here', data: 'the neighbour' });
      await finish(own, neighbour);
    });

    it('refuses an unknown path on that port with 404, and a plain GET with 426', async () => {
      const unknown = await rawRequest(ownPort, { path: '/elsewhere' });
      expect(unknown.status).toBe(404);
      expect(unknown.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
      const plain = await fetch(`http://127.0.0.1:${ownPort}/own`);
      expect(plain.status).toBe(426);
      expect(plain.headers.get('upgrade')).toBe('websocket');
      const plainElsewhere = await fetch(`http://127.0.0.1:${ownPort}/elsewhere`);
      expect(plainElsewhere.status).toBe(404);
    });

    it('closes every client with 1001 on app.close() (what enableShutdownHooks runs), then frees the ports', async () => {
      running.app.enableShutdownHooks();
      const onAppServer = await connect(running.ws('/alpha'));
      await onAppServer.next();
      const onOwnPort = await connect(`ws://127.0.0.1:${ownPort}/own`);
      await running.app.close();
      for (const client of [onAppServer, onOwnPort]) {
        const { code, reason } = await client.closed;
        expect(code).toBe(1001);
        expect(reason).toMatch(/^WSG_SERVER_SHUTDOWN/);
      }
      await expect(connect(`ws://127.0.0.1:${ownPort}/own`)).rejects.toThrow(/ECONNREFUSED/);
      await expect(connect(running.ws('/alpha'))).rejects.toThrow(/ECONNREFUSED/);
    });
  });

  describe(`@wsgate/nestjs on ${nest.label}: app.enableShutdownHooks() and a real SIGTERM`, () => {
    it('closes every client with 1001 WSG_SERVER_SHUTDOWN, then the process ends', async () => {
      const fixture = fileURLToPath(new URL('./fixtures/shutdown-app.mjs', import.meta.url));
      const child = spawn(
        process.execPath,
        [fixture, nest.process.packageDir, nest.process.adapterEntry],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      try {
        let output = '';
        const port = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no port printed: ${output}`)), 15_000);
          const onData = (chunk: Buffer): void => {
            output += chunk.toString();
            const match = /listening on (\d+)/.exec(output);
            if (match) {
              clearTimeout(timer);
              resolve(Number(match[1]));
            }
          };
          child.stdout.on('data', onData);
          child.stderr.on('data', onData);
          child.once('exit', () => reject(new Error(`exited: ${output}`)));
        });
        const clients = await Promise.all([
          connect(`ws://127.0.0.1:${port}/live`),
          connect(`ws://127.0.0.1:${port}/live`),
        ]);
        const started = Date.now();
        child.kill('SIGTERM');
        for (const client of clients) {
          const { code, reason } = await client.closed;
          expect(code).toBe(1001);
          expect(reason).toMatch(/^WSG_SERVER_SHUTDOWN/);
        }
        // Nest's shutdown hooks end the process with the signal it received.
        expect(await ended).toEqual({ code: null, signal: 'SIGTERM' });
        expect(Date.now() - started).toBeLessThan(5_000);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }, 30_000);
  });

  describe(`@wsgate/nestjs on ${nest.label}: configuration it cannot honour stops the start`, () => {
    async function startFails(gateway: unknown): Promise<string> {
      const moduleRef = await nest.testing.Test.createTestingModule({
        providers: [gateway as NestCommon.Type],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      app.useWebSocketAdapter(new WsgateAdapter(app));
      try {
        await app.init();
      } catch (error) {
        return (error as Error).message;
      } finally {
        await app.close().catch(() => {});
      }
      throw new Error('the application started');
    }

    it('refuses a namespace, which is a socket.io feature', async () => {
      @WebSocketGateway({ path: '/ns', namespace: 'chat' })
      class NamespacedGateway {}
      expect(await startFails(NamespacedGateway)).toMatch(/namespaces are a socket.io feature/);
    });

    it('refuses verifyClient of ws rather than silently skipping an auth check', async () => {
      @WebSocketGateway({ path: '/vc', verifyClient: () => true })
      class VerifyClientGateway {}
      expect(await startFails(VerifyClientGateway)).toMatch(/use verifyUpgrade|verifyUpgrade/);
    });

    it('refuses cors.origin false, which names no allowed origin', async () => {
      @WebSocketGateway({ path: '/cors', cors: { origin: false } })
      class CorsFalseGateway {}
      expect(await startFails(CorsFalseGateway)).toMatch(/origins: \[\] to refuse every Origin/);
    });

    it('refuses a handshake guard it cannot build', async () => {
      class NeedsService implements CanActivate {
        constructor(readonly service: unknown) {}
        canActivate(): boolean {
          return true;
        }
      }
      @WebSocketGateway({ path: '/g', handshakeGuards: [NeedsService] })
      class UnbuildableGuardGateway {}
      expect(await startFails(UnbuildableGuardGateway)).toMatch(
        /handshake guard NeedsService takes constructor arguments but is not a provider/,
      );
    });
  });

  describe(`@wsgate/nestjs on ${nest.label}: a start that fails rejects, the process lives on`, () => {
    async function appWith(gateway: unknown, wrap?: (app: INestApplication) => INestApplication) {
      const moduleRef = await nest.testing.Test.createTestingModule({
        providers: [gateway as NestCommon.Type],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      app.useWebSocketAdapter(new WsgateAdapter(wrap === undefined ? app : wrap(app)));
      return app;
    }

    async function takenPort(): Promise<{ port: number; release: () => Promise<void> }> {
      const holder = createNetServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      return {
        port: (holder.address() as AddressInfo).port,
        release: () => new Promise((resolve) => holder.close(() => resolve())),
      };
    }

    it("rejects app.listen() with WSG_LISTEN_FAILED when a gateway's own port is taken", async () => {
      const taken = await takenPort();
      @WebSocketGateway(taken.port, { path: '/taken', host: '127.0.0.1' })
      class TakenPortGateway {}
      const app = await appWith(TakenPortGateway);
      try {
        const failure = await app.listen(0, '127.0.0.1').then(
          () => undefined,
          (error: unknown) =>
            error as { code?: string; message?: string; cause?: { code?: string } },
        );
        expect(failure?.code).toBe('WSG_LISTEN_FAILED');
        expect(failure?.message).toContain(`port ${taken.port}`);
        expect(failure?.cause?.code).toBe('EADDRINUSE');
      } finally {
        await app.close().catch(() => {});
        await taken.release();
      }
    });

    it("rejects app.listen() with Nest's EADDRINUSE when the HTTP port is taken", async () => {
      const taken = await takenPort();
      @WebSocketGateway({ path: '/on-app' })
      class OnAppGateway {}
      const app = await appWith(OnAppGateway);
      try {
        await expect(app.listen(taken.port, '127.0.0.1')).rejects.toMatchObject({
          code: 'EADDRINUSE',
        });
      } finally {
        await app.close().catch(() => {});
        await taken.release();
      }
    });

    it("stops app.init() with WSG_FRAMEWORK_UNSUPPORTED when Nest's container is not where the adapter looks", async () => {
      @WebSocketGateway({ path: '/guarded' })
      class GuardedGateway {
        handleConnection(): void {}
      }
      const app = await appWith(GuardedGateway, (real) =>
        Object.create(real, { container: { value: undefined } }),
      );
      try {
        await expect(app.init()).rejects.toMatchObject({ code: 'WSG_FRAMEWORK_UNSUPPORTED' });
      } finally {
        await app.close().catch(() => {});
      }
    });
  });
}
