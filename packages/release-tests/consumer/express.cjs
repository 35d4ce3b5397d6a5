// Express as a person writes it with `require`: a WebSocket echo route, then one round trip.
const { once } = require('node:events');
const { connect } = require('@wsgate/core');
const { attachWebSockets, websocket } = require('@wsgate/express');
const express = require('express');

async function main() {
  const app = express();
  app.get(
    '/echo',
    websocket((ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))),
  );
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sockets = attachWebSockets(server, app);

  const client = await connect(`ws://127.0.0.1:${server.address().port}/echo`);
  client.send('hello from express (require)');
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
