import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { Backplane } from '@wsgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WsgateClient, WsgateGatewayOptions, WsgateServer } from '../src/index.js';
import type { NestUnderTest } from './behaviour-suite.js';
import type { NestPlatform } from './contract.js';
import { connect, finish } from './helpers.js';

/**
 * Topics the way socket.io gateways use rooms: a `@SubscribeMessage` handler joins or leaves
 * (`client.join(topic)`), another publishes from the gateway's server
 * (`server.to(topic).emit(event, data)`), on a real Nest app over real sockets, for each HTTP
 * platform. Each app has a backplane of its own, so that nothing leaks between apps.
 */
export function describeNestTopics(nest: NestUnderTest, platforms: readonly NestPlatform[]): void {
  const { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } =
    nest.websockets;

  @WebSocketGateway<WsgateGatewayOptions>({ path: '/rooms' })
  class RoomsGateway {
    @WebSocketServer() server!: WsgateServer;

    @SubscribeMessage('join')
    async join(@MessageBody() topic: string, @ConnectedSocket() client: WsgateClient) {
      await client.join(topic);
      return { event: 'joined', data: { topic, topics: [...client.topics] } };
    }

    @SubscribeMessage('leave')
    async leave(@MessageBody() topic: string, @ConnectedSocket() client: WsgateClient) {
      await client.leave(topic);
      return { event: 'left', data: { topic, topics: [...client.topics] } };
    }

    @SubscribeMessage('say')
    async say(@MessageBody() body: { topic: string; text: string }) {
      const { offset } = await this.server.to(body.topic).emit('said', { text: body.text });
      return { event: 'sent', data: { offset } };
    }

    @SubscribeMessage('raw')
    async raw(@MessageBody() body: { topic: string; text: string }) {
      const { offset } = await this.server.publish(body.topic, body.text);
      return { event: 'sent', data: { offset } };
    }

    @SubscribeMessage('ping')
    ping() {
      return { event: 'pong' };
    }

    @SubscribeMessage('crash')
    crash(): never {
      throw new Error('not a topic error');
    }
  }

  async function startApp(platform: NestPlatform, backplane: Backplane): Promise<RunningApp> {
    const moduleRef = await nest.testing.Test.createTestingModule({
      providers: [RoomsGateway],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication(
      platform.createHttpAdapter() as AbstractHttpAdapter,
      { logger: false },
    );
    app.useWebSocketAdapter(new nest.adapter.WsgateAdapter(app, { backplane }));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    return { app, url: `ws://127.0.0.1:${port}/rooms` };
  }

  for (const platform of platforms) {
    describe(`@wsgate/nestjs topics on ${nest.label} with @nestjs/platform-${platform.name}`, () => {
      let first: RunningApp;
      let second: RunningApp;
      beforeAll(async () => {
        const backplane = new nest.core.MemoryBackplane();
        // Two apps on one backplane: what two processes on one Redis are.
        first = await startApp(platform, backplane);
        second = await startApp(platform, backplane);
      });
      afterAll(async () => {
        await Promise.all([first?.app.close(), second?.app.close()]);
      });

      it("delivers what one client's handler sends with server.to(topic).emit to a client that joined in its handler, as { event, data }", async () => {
        const reader = await connect(first.url);
        const writer = await connect(first.url);
        reader.emit('join', 'room.lobby');
        expect((await reader.next()).json).toEqual({
          event: 'joined',
          data: { topic: 'room.lobby', topics: ['room.lobby'] },
        });
        writer.emit('say', { topic: 'room.lobby', text: 'hello lobby' });
        expect((await writer.next()).json).toEqual({ event: 'sent', data: { offset: 1 } });
        expect((await reader.next()).json).toEqual({
          event: 'said',
          data: { text: 'hello lobby' },
        });
        // The writer did not join: it got its reply and nothing else.
        writer.emit('ping');
        expect((await writer.next()).json).toEqual({ event: 'pong' });
        await finish(reader, writer);
      });

      it('delivers to a client of another app on the same backplane, and server.publish sends the data as it is', async () => {
        const reader = await connect(second.url);
        const writer = await connect(first.url);
        reader.emit('join', 'room.far');
        await reader.nextEvent('joined');
        writer.emit('say', { topic: 'room.far', text: 'across apps' });
        expect((await reader.next()).json).toEqual({
          event: 'said',
          data: { text: 'across apps' },
        });
        writer.emit('raw', { topic: 'room.far', text: 'plain text' });
        const raw = await reader.next();
        expect(raw.isBinary).toBe(false);
        expect(raw.text).toBe('plain text');
        await finish(reader, writer);
      });

      it('stops delivery to a client that left in its handler, and keeps it for those still joined', async () => {
        const leaver = await connect(first.url);
        const stayer = await connect(first.url);
        const writer = await connect(first.url);
        for (const client of [leaver, stayer]) {
          client.emit('join', 'room.exit');
          await client.nextEvent('joined');
        }
        writer.emit('say', { topic: 'room.exit', text: 'before' });
        for (const client of [leaver, stayer])
          expect((await client.next()).json).toEqual({ event: 'said', data: { text: 'before' } });

        leaver.emit('leave', 'room.exit');
        expect((await leaver.next()).json).toEqual({
          event: 'left',
          data: { topic: 'room.exit', topics: [] },
        });
        writer.emit('say', { topic: 'room.exit', text: 'after' });
        expect((await stayer.next()).json).toEqual({ event: 'said', data: { text: 'after' } });
        // Written to every local subscriber at once: had the leaver still been one, 'after'
        // would have reached it before this reply.
        leaver.emit('ping');
        expect((await leaver.next()).json).toEqual({ event: 'pong' });
        await finish(leaver, stayer, writer);
      });

      it.each([
        ['joining an empty topic', 'join', '', 'topic is empty'],
        ['joining a topic that is not a string', 'join', 42, 'topic is of type number'],
        ['leaving a topic that is not a string', 'leave', null, 'topic is null'],
        [
          'server.to() with a topic of 129 characters',
          'say',
          { topic: 'x'.repeat(129), text: 'too long' },
          'topic has 129 characters, more than 128',
        ],
        ['server.publish with no topic', 'raw', { text: 'nowhere' }, 'topic is of type undefined'],
      ])(
        'answers %s with WSG_TOPIC_INVALID and keeps the connection open',
        async (_, event, data, detail) => {
          const client = await connect(first.url);
          client.emit(event, data);
          const { json } = await client.next();
          expect(json.event).toBe('error');
          expect(json.data).toMatchObject({
            code: 'WSG_TOPIC_INVALID',
            message: `Not a valid topic name (${detail})`,
            pattern: event,
          });
          expect(json.data.fix).toContain('1 to 128 characters');
          client.emit('ping');
          expect((await client.next()).json).toEqual({ event: 'pong' });
          // The refusal belonged to that message alone: the next failure is its own.
          client.emit('crash');
          expect((await client.next()).json.data).toMatchObject({
            code: 'WSG_INTERNAL_ERROR',
            pattern: 'crash',
          });
          await finish(client);
        },
      );
    });
  }
}

interface RunningApp {
  readonly app: INestApplication;
  readonly url: string;
}
