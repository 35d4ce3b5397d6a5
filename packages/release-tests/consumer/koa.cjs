// Koa as a person writes it with `require`: a middleware that accepts /echo, then one round trip.
const { once } = require('node:events');
const { connect } = require('@wsgate/core');
const { attachWebSocket } = require('@wsgate/koa');
const Koa = require('koa');

async function main() {
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.path !== '/echo') return;
    const ws = await ctx.ws();
    ws?.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sockets = attachWebSocket(app, server);

  const client = await connect(`ws://127.0.0.1:${server.address().port}/echo`);
  client.send('hello from koa (require)');
  const [reply] = await once(client, 'message');
  console.log(`echo: ${reply}`);

  client.close(1000);
  await once(client, 'close');
  await sockets.close();
  server.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
