#!/usr/bin/env node
// Runs a WebSocket conformance client (the Autobahn fuzzing client speaks HTTP/1.1 only) against a
// server's WebSockets over HTTP/2: each HTTP/1.1 upgrade it accepts becomes an RFC 8441 extended
// CONNECT stream to the target, and the bytes of both directions are relayed unchanged. WebSocket
// frames are the same on both transports, so every case's frames reach the server over HTTP/2.
//
//   node scripts/h2-conformance-proxy.mjs https://127.0.0.1:8443 [listen port, default 9400]
//   ../shared/autobahn/run ws://127.0.0.1:9400/echo
//
// The target's certificate is not checked (a demo started with TLS=1 makes a self-signed one).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { connect } from 'node:http2';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const target = process.argv[2];
const listenPort = Number(process.argv[3] ?? 9400);
if (target === undefined || !/^https?:\/\//.test(target)) {
  console.error('usage: h2-conformance-proxy.mjs https://HOST:PORT [LISTEN_PORT]');
  process.exit(2);
}

const session = connect(target, { rejectUnauthorized: false });
session.on('error', (error) => {
  console.error(`HTTP/2 session: ${error.message}`);
  process.exit(1);
});
await new Promise((resolve) => session.once('remoteSettings', resolve));
if (session.remoteSettings.enableConnectProtocol !== true) {
  console.error(`${target} does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL`);
  process.exit(1);
}

const proxy = createServer((_request, response) => response.writeHead(426).end());
proxy.on('upgrade', (request, socket, head) => {
  socket.on('error', () => socket.destroy());
  const url = new URL(target);
  const headers = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': url.protocol.slice(0, -1),
    ':authority': url.host,
    ':path': request.url ?? '/',
    'sec-websocket-version': '13',
  };
  const extensions = request.headers['sec-websocket-extensions'];
  if (extensions !== undefined) headers['sec-websocket-extensions'] = extensions;
  const stream = session.request(headers, { endStream: false });
  stream.on('error', () => socket.destroy());
  stream.once('response', (answer) => {
    const status = Number(answer[':status']);
    if (status !== 200) {
      socket.end(`HTTP/1.1 ${status} Refused over HTTP/2\r\nConnection: close\r\n\r\n`);
      stream.close();
      return;
    }
    const accept = createHash('sha1')
      .update(`${request.headers['sec-websocket-key']}${GUID}`)
      .digest('base64');
    const agreed = answer['sec-websocket-extensions'];
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n` +
        (agreed === undefined ? '' : `Sec-WebSocket-Extensions: ${agreed}\r\n`) +
        '\r\n',
    );
    if (head.length > 0) stream.write(head);
    socket.pipe(stream);
    stream.pipe(socket);
  });
  socket.on('close', () => stream.close());
  stream.on('close', () => socket.destroy());
});
proxy.listen(listenPort, '127.0.0.1', () => {
  console.log(`relaying ws://127.0.0.1:${listenPort}/ to ${target} over HTTP/2 (RFC 8441)`);
});
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    proxy.close();
    session.close();
  });
