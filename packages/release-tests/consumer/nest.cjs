// NestJS as a person writes it with `require`: an echo gateway on the adapter, then one round trip.
// Plain JavaScript has no decorator syntax, so Nest's decorators are applied as TypeScript emits them.
require('reflect-metadata');
const { once } = require('node:events');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { SubscribeMessage, WebSocketGateway } = require('@nestjs/websockets');
const { connect } = require('@wsgate/core');
const { WsgateAdapter } = require('@wsgate/nestjs');

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

async function main() {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.useWebSocketAdapter(new WsgateAdapter(app));
  await app.listen(0, '127.0.0.1');

  const client = await connect(`ws://127.0.0.1:${app.getHttpServer().address().port}/echo`);
  client.send(JSON.stringify({ event: 'echo', data: 'hello from nest (require)' }));
  const [reply] = await once(client, 'message');
  console.log(`echo: ${JSON.parse(reply).data}`);

  client.close(1000);
  await once(client, 'close');
  await app.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
