// NestJS as a person writes it with `import`: an echo gateway on the adapter, then one round trip.
// Plain JavaScript has no decorator syntax, so Nest's decorators are applied as TypeScript emits them.
import 'reflect-metadata';
import { once } from 'node:events';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { connect } from '@wsgate/core';
import { WsgateAdapter } from '@wsgate/nestjs';

class EchoGateway {
  echo(_client, data) {
    return { event: 'echo', data };
  }
}
const echo = Object.getOwnPropertyDescriptor(EchoGateway.prototype, 'echo');
Reflect.decorate([SubscribeMessage('echo')], EchoGateway.prototype, 'echo', echo);
Reflect.decorate([WebSocketGateway({ path: '/echo' })], EchoGateway);

class AppModule {}
Reflect.decorate([Module({ providers: [EchoGateway] })], AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
app.useWebSocketAdapter(new WsgateAdapter(app));
await app.listen(0, '127.0.0.1');

const client = await connect(`ws://127.0.0.1:${app.getHttpServer().address().port}/echo`);
client.send(JSON.stringify({ event: 'echo', data: 'hello from nest (import)' }));
const [reply] = await once(client, 'message');
console.log(`echo: ${JSON.parse(reply).data}`);

client.close(1000);
await once(client, 'close');
await app.close();
