// A TypeScript consumer (ESM): checked with tsc against the published declarations, never run.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { connect, type MessageData, type WebSocketConnection } from '@wsgate/core';
import { closeReasonFor, type UpgradeExchange } from '@wsgate/core/adapter';
import { encodeFrame, type FrameHeader, Opcode } from '@wsgate/core/protocol';
import { attachWebSockets, websocket } from '@wsgate/express';
import { attachWebSocket } from '@wsgate/koa';
import { WsgateAdapter, type WsgateClient, type WsgateGatewayOptions } from '@wsgate/nestjs';
import express, { type Request } from 'express';
import Koa from 'koa';

const echo = (ws: WebSocketConnection) =>
  ws.on('message', (data: MessageData, isBinary: boolean) => ws.send(data, { binary: isBinary }));

export async function expressApp(): Promise<void> {
  const app = express();
  app.get(
    '/rooms/:id',
    websocket((ws, request: Request) => ws.send(`room ${request.params.id}`)),
  );
  app.get('/echo', websocket(echo, { maxMessageBytes: 1024 }));
  const sockets = attachWebSockets(app.listen(0), app, { origins: ['https://example.com'] });
  const count: number = sockets.clients.size;
  await sockets.close({ timeoutMs: count });
}

export async function koaApp(): Promise<void> {
  const app = new Koa();
  app.use(async (ctx) => {
    const ws: WebSocketConnection | undefined = await ctx.ws({ maxMessageBytes: 1024 });
    if (ws) echo(ws);
  });
  const sockets = attachWebSocket(app, app.listen(0), { path: '/echo' });
  await sockets.close();
}

@WebSocketGateway<WsgateGatewayOptions>({ path: '/echo', maxMessageBytes: 1024 })
export class EchoGateway {
  // Without parameter decorators Nest passes (client, data).
  @SubscribeMessage('echo')
  echo(client: WsgateClient, data: string): { event: string; data: string } {
    return { event: 'echo', data: `${data} ${client.request?.url ?? ''}` };
  }
}

@Module({ providers: [EchoGateway] })
export class AppModule {}

export async function nestApp(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.useWebSocketAdapter(new WsgateAdapter(app, { origins: ['https://example.com'] }));
  await app.listen(0);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const client = await connect(`ws://127.0.0.1:${port}/echo`, { handshakeTimeoutMs: 1000 });
  client.close(1000, 'done');
  await app.close();
}

/** One use of each entry point; the connection's plumbing stays out of its published declarations. */
export function entryPoints(connection: WebSocketConnection, exchange: UpgradeExchange): number {
  const [frame] = encodeFrame(Opcode.text, new TextEncoder().encode('hi'));
  const header: Pick<FrameHeader, 'opcode'> = { opcode: Opcode.binary };
  const reason: string = closeReasonFor('WSG_SERVER_SHUTDOWN');
  // @ts-expect-error receiving bytes is the node layer's business, not the application's
  connection.receiveChunk(frame);
  // @ts-expect-error the protocol session's callbacks are not part of the connection's API
  connection.onMessage(frame, true);
  return frame.length + header.opcode + reason.length + exchange.handshake.path.length;
}
