import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { rawRequest } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from '../../src/index.js';

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/**
 * A stream in front of a TCP socket, as an application hands an http server when it feeds it
 * connections itself (`http.emit('connection', stream)`): a Duplex without `bytesWritten`.
 */
function streamOver(socket: Socket): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, _encoding, done) {
      socket.write(chunk, done);
    },
    final(done) {
      socket.end(done);
    },
    destroy(error, done) {
      socket.destroy();
      done(error);
    },
  });
  socket.on('data', (chunk) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  return stream;
}

describe('an upgrade no listener takes, on a stream that is not a net.Socket', () => {
  it('gets its 404 after the grace period although the stream has no bytesWritten', async () => {
    const http = createHttpServer();
    const wss = new WebSocketServer({ path: '/ws', unhandledUpgradeTimeoutMs: 100 });
    wss.attach(http);
    // Another upgrade listener that serves other paths: wsgate waits for it before its 404.
    http.on('upgrade', () => {});
    const tcp = createNetServer((socket) => http.emit('connection', streamOver(socket)));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    stops.push(() => tcp.close());
    const address = tcp.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const response = await rawRequest(address.port, { path: '/nobody' });
    expect(response.status).toBe(404);
    expect(response.headers['x-wsgate-error']).toBe('WSG_PATH_NOT_FOUND');
  });
});
