/**
 * A NestJS 12 app with one echo gateway on `/`, shared by the two Nest servers (each brings its
 * adapter and gateway options). Written as plain JavaScript: the decorators are called by hand,
 * which is what TypeScript's decorator output does, and the gateway needs no injected types.
 *
 * Messages go through Nest's own routing (`@SubscribeMessage`): the message parser names every
 * message `echo` with its payload as data, and the handler sends the payload back as it came
 * (a Buffer as binary, a string as text) with the client's own `send`.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';

export const echoParser = (data) => ({ event: 'echo', data });

/** The same module as an application context (no HTTP, no gateway server): Nest's heap only. */
export async function startNestContext() {
  class Greeter {
    greet(name) {
      return `hello ${name}`;
    }
  }
  class AppModule {}
  Module({ providers: [Greeter] })(AppModule);
  return NestFactory.createApplicationContext(AppModule, { logger: false });
}

export async function startNest({ host, port, mode, gatewayOptions, adapter }) {
  const clients = new Set();
  class EchoGateway {
    handleConnection(client) {
      clients.add(client);
    }
    handleDisconnect(client) {
      clients.delete(client);
    }
    echo(data, client) {
      if (mode === 'broadcast') for (const peer of clients) peer.send(data);
      else client.send(data);
    }
  }
  const prototype = EchoGateway.prototype;
  SubscribeMessage('echo')(prototype, 'echo', Object.getOwnPropertyDescriptor(prototype, 'echo'));
  MessageBody()(prototype, 'echo', 0);
  ConnectedSocket()(prototype, 'echo', 1);
  WebSocketGateway({ path: '/', ...gatewayOptions })(EchoGateway);
  class AppModule {}
  Module({ providers: [EchoGateway] })(AppModule);

  const app = await NestFactory.create(AppModule, { logger: false });
  app.useWebSocketAdapter(adapter(app));
  await app.listen(port, host);
  return { port: app.getHttpServer().address().port, connections: () => clients.size };
}
