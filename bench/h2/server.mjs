// The server of the h2 echo scenario: a wsgate echo on /echo, attached to an HTTP/2 TLS server
// that also takes HTTP/1.1 upgrades. Prints its port; exits on SIGTERM.
import http2 from 'node:http2';
import { WebSocketServer } from '@wsgate/core';

const { cert, key } = JSON.parse(process.env.BENCH_TLS);
const server = http2.createSecureServer({ cert, key, allowHTTP1: true });
const wss = new WebSocketServer({ path: '/echo', perMessageDeflate: false });
wss.attach(server);
wss.on('connection', (ws) =>
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
);
server.listen(0, '127.0.0.1', () => console.log(String(server.address().port)));
process.once('SIGTERM', () => process.exit(0));
