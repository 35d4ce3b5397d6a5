// Express as a person writes it with `import`: a WebSocket echo route, then one round trip.
import { once } from 'node:events';
import { connect } from '@wsgate/core';
import { attachWebSockets, websocket } from '@wsgate/express';
import express from 'express';

const app = express();
app.get(
  '/echo',
  websocket((ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))),
);
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const sockets = attachWebSockets(server, app);

const client = await connect(`ws://127.0.0.1:${server.address().port}/echo`);
client.send('hello from express (import)');
const [reply] = await once(client, 'message');
console.log(`echo: ${reply}`);

client.close(1000);
await once(client, 'close');
await sockets.close();
server.close();
